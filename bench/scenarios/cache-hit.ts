// GETs of a cached 4 KiB blob through the cache proxy against the same GETs through the load balancer, in the
// same run (ctx.compareLoad alternates them in rounds). The course's goal is ≥ 2× the balancer's requests/s: a
// hit is answered from memory, while through the balancer every request also costs a hop to the blob server
// and a read of its disk. The stack is the real one: cache proxy → load balancer → one blob server (FSYNC=false).
//
// On a small machine all three processes and the load generator share the cores; read the ratio with that in
// mind (the balancer's side keeps two processes busy, the cache's side one).
import { randomBytes } from 'node:crypto';
import { defineScenario, loadRows, startBlobCluster, type ScenarioContext } from '../lib/index.js';

const CONNECTIONS = 32;
const BYTES = 4 * 1024;

async function startStack(ctx: ScenarioContext): Promise<{ cache: string; balancer: string }> {
  const { balancer } = await startBlobCluster(ctx);
  const cache = `http://127.0.0.1:${await ctx.freePort()}`;
  await ctx.startProcess({
    name: 'cache-proxy',
    script: 'services/cache-proxy/src/server.ts',
    env: { PORT: new URL(cache).port, HOST: '127.0.0.1', LOG_LEVEL: 'warn', UPSTREAM_URL: balancer },
    waitFor: `${cache}/health`,
  });
  await ctx.waitForHttp(`${cache}/ready`, { status: 200 });
  return { cache, balancer };
}

export default defineScenario({
  name: 'cache-hit',
  description: `GET of a cached 4 KiB blob through the cache proxy, ${CONNECTIONS} connections.`,
  baseline: 'the same GETs through the load balancer behind it (→ one blob server), in the same run.',
  async run(ctx) {
    const { cache, balancer } = await startStack(ctx);
    const body = randomBytes(BYTES);
    const stored = await fetch(`${cache}/blobs/hot`, { method: 'PUT', body });
    await stored.arrayBuffer();
    if (stored.status >= 300) throw new Error(`PUT through the cache answered ${stored.status}`);
    // Fill the cache and check that both sides answer the same bytes, the cache's from memory.
    await (await fetch(`${cache}/blobs/hot`)).arrayBuffer();
    const hit = await fetch(`${cache}/blobs/hot`);
    const hitBody = Buffer.from(await hit.arrayBuffer());
    if (hit.headers.get('x-cache') !== 'HIT' || !hitBody.equals(body))
      throw new Error('the second GET was no hit');
    const viaBalancer = Buffer.from(await (await fetch(`${balancer}/blobs/hot`)).arrayBuffer());
    if (!viaBalancer.equals(body)) throw new Error('the balancer did not return the bytes stored');

    ctx.log(`GET 4 KiB: ${ctx.durationSeconds} s per side in alternating rounds`);
    const { project, baseline } = await ctx.compareLoad({
      label: 'GET 4 KiB (cache hit)',
      project: { url: `${cache}/blobs/hot`, connections: CONNECTIONS },
      baseline: { url: `${balancer}/blobs/hot`, connections: CONNECTIONS },
      rounds: ctx.smoke ? 2 : 4,
      warmupSeconds: ctx.smoke ? 0 : 1,
    });
    const label = 'GET 4 KiB, cached';
    return loadRows(label, { project, baseline });
  },
});
