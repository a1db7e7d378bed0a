// The replicated blob store as the replication scenario runs it: balancers started with their own settings,
// nodes registered by hand with a second balancer, and the questions a scenario asks an operator's way
// (GET /internal/nodes, GET /internal/rebalance, the nodes' GET /internal/blobs listings). Nothing here reaches
// into the services' code: only their HTTP interfaces.
import type { ProcessHandle } from './process.js';
import type { ScenarioContext } from './scenario.js';

export interface Balancer {
  url: string;
  handle: ProcessHandle;
}

/** A load balancer on a free port with `env` on top of the bench defaults; resolves once /health answers. */
export async function startBalancer(
  ctx: ScenarioContext,
  name: string,
  env: Record<string, string>,
): Promise<Balancer> {
  const port = await ctx.freePort();
  const url = `http://127.0.0.1:${port}`;
  const handle = await ctx.startProcess({
    name,
    script: 'services/load-balancer/src/server.ts',
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    waitFor: `${url}/health`,
  });
  return { url, handle };
}

/** POST /internal/nodes, as a node announces itself (without a bootId: a one-off registration). */
export async function registerNode(balancer: string, name: string, nodeUrl: string): Promise<void> {
  const { hostname, port } = new URL(nodeUrl);
  const response = await fetch(`${balancer}/internal/nodes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, destination: { host: hostname, port: Number(port) } }),
  });
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`registering ${name} with ${balancer}: ${response.status}`);
}

export interface RebalanceProgress {
  state: 'idle' | 'running';
  startedAt: string | null;
  finishedAt: string | null;
  trigger: string | null;
  scanned: number;
  copied: number;
  removed: number;
  errors: number;
  underReplicated: number;
}

export async function rebalanceProgress(balancer: string): Promise<RebalanceProgress> {
  const response = await fetch(`${balancer}/internal/rebalance`);
  if (response.status !== 200) throw new Error(`GET ${balancer}/internal/rebalance: ${response.status}`);
  return (await response.json()) as RebalanceProgress;
}

interface ListedNode {
  name: string;
  status: string;
  inSync?: boolean;
}

/**
 * Waits until the balancer lists `names`, all healthy and caught up, and its rebalancer is idle after a
 * finished pass: reads then take the fast path and nothing moves in the background.
 */
export async function waitUntilSettled(
  balancer: string,
  names: readonly string[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const { data } = (await (await fetch(`${balancer}/internal/nodes`)).json()) as { data: ListedNode[] };
    const progress = await rebalanceProgress(balancer);
    const ready = names.every((name) =>
      data.some((node) => node.name === name && node.status === 'healthy' && node.inSync !== false),
    );
    if (ready && progress.state === 'idle' && progress.finishedAt !== null) return;
    last = `nodes ${JSON.stringify(data)}, rebalance ${JSON.stringify(progress)}`;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${balancer} did not settle within ${timeoutMs / 1000} s: ${last}`);
}

export interface ListedBlob {
  id: string;
  size: number;
  version: number;
  deleted: boolean;
}

/** Every record a node holds, tombstones included, through its GET /internal/blobs pages. */
export async function listNode(nodeUrl: string): Promise<ListedBlob[]> {
  const records: ListedBlob[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const response = await fetch(`${nodeUrl}/internal/blobs?limit=1000${query}`);
    if (response.status !== 200) throw new Error(`GET ${nodeUrl}/internal/blobs: ${response.status}`);
    const page = (await response.json()) as { data: ListedBlob[]; next: string | null };
    records.push(...page.data);
    cursor = page.next;
  } while (cursor !== null);
  return records;
}

/** One Prometheus counter's value from a /metrics page (0 when absent). */
export async function counterValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}
