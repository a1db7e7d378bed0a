// GETs of a cached 4 KiB blob through the cache proxy against two baselines, each in the same run
// (ctx.compareLoad alternates the two sides in rounds):
// - the same GETs through the load balancer. The course's goal is ≥ 2× the balancer's requests/s: a hit is
//   answered from memory, while through the balancer every request also costs a hop to the blob server and a
//   read of its disk. The stack is the real one: cache proxy → load balancer → one blob server (FSYNC=false).
// - plain Fastify's `GET /hello` (bench/fixtures/fastify-hello.ts, logger off): the least any Fastify app can
//   cost per request. A hit should cost little more than a hello (goal ≥ 0.7×), so this row shows what the hit
//   path (the kit, the lookup, the stored headers and body written out) adds to an HTTP round trip.
// - the same `GET /hello` on a createService app (bench/fixtures/kit-hello.ts) at the cache proxy's log level:
//   what any of the project's services pays per request before its route runs. Against it, the row shows what
//   the hit itself (the lookup and a 4 KiB body instead of 17 bytes) adds to the kit.
//
// On a small machine all processes and the load generator share the cores; read the ratios with that in mind
// (the balancer's side keeps two processes busy, the cache's side and the hello side one each).
import { randomBytes } from 'node:crypto';
import { startServer } from '../lib/hello-routes.js';
import { defineScenario, loadRows, startBlobCluster, type Row, type ScenarioContext } from '../lib/index.js';

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
  baseline:
    'the same GETs through the load balancer behind it (→ one blob server); plain Fastify 5 `GET /hello` (logger off); and `GET /hello` on a createService app at LOG_LEVEL=warn, as the cache proxy runs here; the same number of connections, all in the same run.',
  async run(ctx) {
    const { cache, balancer } = await startStack(ctx);
    const [hello, kitHello] = await Promise.all([
      startServer(ctx, 'fastify', 'bench/fixtures/fastify-hello.ts'),
      // The cache proxy logs at warn here: the kit's hello does the same, so both write no line per request.
      startServer(ctx, 'kit-hello', 'bench/fixtures/kit-hello.ts', { LOG_LEVEL: 'warn' }),
    ]);
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
    for (const base of [hello, kitHello]) {
      const helloText = await (await fetch(`${base}/hello`)).text();
      if (helloText !== '{"hello":"world"}') throw new Error(`GET ${base}/hello answered ${helloText}`);
    }

    const rounds = ctx.smoke ? 2 : 4;
    const warmupSeconds = ctx.smoke ? 0 : 1;
    const hitTarget = { url: `${cache}/blobs/hot`, connections: CONNECTIONS };

    // Each baseline against the same hits, in its own alternating rounds: `label` names the rounds in warnings,
    // `row` the case in the results.
    const baselines = [
      { label: 'GET 4 KiB (cache hit)', row: 'GET 4 KiB, cached', url: `${balancer}/blobs/hot` },
      {
        label: 'GET 4 KiB (cache hit) vs GET /hello',
        row: 'GET 4 KiB, cached; baseline plain Fastify GET /hello',
        url: `${hello}/hello`,
      },
      {
        label: "GET 4 KiB (cache hit) vs the kit's GET /hello",
        row: "GET 4 KiB, cached; baseline the kit's GET /hello (createService, LOG_LEVEL=warn)",
        url: `${kitHello}/hello`,
      },
    ];
    const rows: Row[] = [];
    for (const { label, row, url } of baselines) {
      ctx.log(`${label}: ${ctx.durationSeconds} s per side in alternating rounds`);
      const measured = await ctx.compareLoad({
        label,
        project: hitTarget,
        baseline: { url, connections: CONNECTIONS },
        rounds,
        warmupSeconds,
      });
      rows.push(...loadRows(row, measured));
    }
    return rows;
  },
});
