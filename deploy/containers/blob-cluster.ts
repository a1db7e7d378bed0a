// The blob store inside the compose project: which services are blob servers (built from the blob-server target)
// and under which node names they register, and the balancer's view of them. The balancer's /internal routes are
// not published, so they are asked from inside its container, with the INTERNAL_TOKEN it already has.
// Guarantees: waitForNodes() resolves only once the balancer lists every blob server as healthy, so that every
// blob written afterwards gets its copies on distinct live nodes.
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from './commands.js';
import type { Compose, ComposeConfig } from './compose.js';

type Env = Record<string, string>;

export interface BlobCluster {
  balancerService: string;
  balancerPort: number;
  /** Node name → compose service. */
  nodes: Map<string, string>;
}

export function blobCluster(config: ComposeConfig): BlobCluster {
  const nodes = new Map<string, string>();
  let balancer: { service: string; port: number } | undefined;
  for (const [name, service] of Object.entries(config.services)) {
    const target = service.build?.target;
    if (target === 'blob-server') nodes.set(service.environment?.NODE_NAME ?? name, name);
    if (target === 'load-balancer')
      balancer = { service: name, port: Number(service.environment?.PORT ?? 3000) };
  }
  if (!balancer || nodes.size === 0) {
    throw new Error('the compose file has no load-balancer or no blob-server service (by build target)');
  }
  return { balancerService: balancer.service, balancerPort: balancer.port, nodes };
}

interface NodeView {
  name: string;
  status: string;
}

async function balancerNodes(compose: Compose, cluster: BlobCluster, env: Env): Promise<NodeView[]> {
  const id = await compose.containerId(cluster.balancerService);
  const script =
    `fetch('http://127.0.0.1:${cluster.balancerPort}/internal/nodes', ` +
    `{ headers: { authorization: 'Bearer ' + process.env.INTERNAL_TOKEN } })` +
    `.then(async (r) => { if (!r.ok) throw new Error(r.status + ' ' + (await r.text())); console.log(await r.text()); })` +
    `.catch((e) => { console.error(String(e)); process.exit(1); })`;
  const { stdout } = await run('docker', ['exec', id, 'node', '-e', script], { env });
  return (JSON.parse(stdout) as { data: NodeView[] }).data;
}

export async function waitForNodes(compose: Compose, cluster: BlobCluster, env: Env, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const nodes = await balancerNodes(compose, cluster, env);
      const healthy = nodes.filter((node) => node.status === 'healthy').map((node) => node.name);
      last = nodes.map((node) => `${node.name} ${node.status}`).join(', ') || 'no node registered';
      if ([...cluster.nodes.keys()].every((name) => healthy.includes(name))) return last;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`the balancer does not list every blob server as healthy: ${last}`);
    }
    await sleep(1_000);
  }
}
