// The blob store's processes as the scenarios run them: blob servers (each on its own data folder, sized for
// benchmarks, logging warnings only) and a load balancer with one node registered and healthy, keeping one
// copy of each blob (REPLICATION_FACTOR=1: the replication scenario measures what a second copy costs).
import type { ProcessHandle } from './process.js';
import type { ScenarioContext } from './scenario.js';

export interface BlobServerOptions {
  /** the process's name in messages and the node's name */
  name?: string;
  /** FSYNC (default false: the scenarios that measure a proxy do not measure the disk) */
  fsync?: boolean;
  /** a load balancer to register with */
  loadBalancerUrl?: string;
  /** more environment (MAX_LENGTH, LOG_LEVEL …) */
  env?: Record<string, string>;
}

/** A blob server on a free port and a fresh data folder; resolves with its URL once /ready answers. */
export async function startBlobServer(
  ctx: ScenarioContext,
  options: BlobServerOptions = {},
): Promise<string> {
  return (await startBlobNode(ctx, options)).url;
}

/** startBlobServer for a scenario that stops the node itself before the end (its process handle too). */
export async function startBlobNode(
  ctx: ScenarioContext,
  options: BlobServerOptions = {},
): Promise<{ url: string; handle: ProcessHandle }> {
  const port = await ctx.freePort();
  const url = `http://127.0.0.1:${port}`;
  const name = options.name ?? 'blob-server';
  const handle = await ctx.startProcess({
    name,
    script: 'services/blob-server/src/server.ts',
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_NAME: name,
      DATA_DIR: await ctx.tempDir(`${name}-`),
      FSYNC: String(options.fsync ?? false),
      MAX_DISK_QUOTA: '200GiB',
      LOG_LEVEL: 'warn',
      LOAD_BALANCER_URL: options.loadBalancerUrl,
      ADVERTISED_HOST: '127.0.0.1',
      ...options.env,
    },
    waitFor: `${url}/ready`,
  });
  return { url, handle };
}

/**
 * A load balancer with one blob server behind it; resolves once the node has registered, is healthy and is in
 * sync. A balancer that has just started trusts no node to hold every acknowledged write until its first
 * rebalancer pass has caught it up, and until then reads take the compare path (a HEAD to the node, then the
 * GET). The scenarios measure the balancer as it runs, on the fast path: the first pass starts at once here
 * (REBALANCE_START_DELAY_MS=0; 15 s by default) and the cluster is ready when it has brought the node in sync.
 */
export async function startBlobCluster(ctx: ScenarioContext): Promise<{ balancer: string; blobs: string }> {
  const port = await ctx.freePort();
  const balancer = `http://127.0.0.1:${port}`;
  const loadBalancer = await ctx.startProcess({
    name: 'load-balancer',
    script: 'services/load-balancer/src/server.ts',
    // One node, so R is 1 whatever the setting; set anyway, since the scenarios on this cluster (lb-proxy,
    // cache-hit) measure the single-copy proxy hop, which a default of R = 2 must not change when they add nodes.
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      REPLICATION_FACTOR: '1',
      REBALANCE_START_DELAY_MS: '0',
    },
    waitFor: `${balancer}/health`,
  });
  const blobs = await startBlobServer(ctx, { name: 'bench-1', loadBalancerUrl: balancer });
  // Clean-up runs newest first, which would stop the blob server while the balancer still holds its pooled
  // keep-alive connections to it. After proxied load, the blob server's graceful shutdown does not finish while
  // they stay open (by hand it ran into its own 10 s shutdown timeout), so every scenario on a cluster waited
  // out the 5 s grace and then killed it. Stopping the balancer first closes those connections and the blob
  // server exits at once; stop() is idempotent, so the balancer's own clean-up step then has nothing to do.
  ctx.onCleanup(() => loadBalancer.stop());
  await ctx.waitForHttp(`${balancer}/ready`, { status: 200 });
  await nodesInSync(balancer);
  return { balancer, blobs };
}

async function nodesInSync(balancer: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listing = (await (await fetch(`${balancer}/internal/nodes`)).json()) as {
      data: { inSync: boolean }[];
    };
    if (listing.data.length > 0 && listing.data.every((node) => node.inSync)) return;
    if (Date.now() > deadline) throw new Error('the balancer did not bring its node in sync within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
