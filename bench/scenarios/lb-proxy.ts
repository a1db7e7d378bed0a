// The load balancer's cost: GET and PUT (a new id each time) of 4 KiB and 1 MiB blobs through the balancer
// against the same requests straight to the blob server behind it, 64 connections, in the same run. The
// balancer has one node, so every request goes to the server the baseline talks to, and the difference is
// the hop: parse, ring lookup, a pooled keep-alive connection, the body streamed through twice. The blob server
// runs with FSYNC=false so the rows measure the proxy, not the disk. Measuring starts once the balancer's first
// rebalancer pass has brought the node in sync (startBlobCluster), so reads take the fast path they take in service.
//
// On a small machine the balancer, the blob server and the load generator share the same cores, so "through
// the balancer" also means "with less CPU for the blob server": read the ratios with the core count in mind.
// The nginx rows measure that ceiling: the same GETs through nginx (Debian's, proxy_pass, one worker, pooled
// keep-alive upstream connections; fixtures/nginx-proxy.ts) in front of the same blob server, against direct in
// the same rounds, show how much of the direct rate any one-hop proxy keeps on this machine. Without nginx
// those rows are left out with a warning saying why. The bare-proxy rows measure the same for Node: its bare
// `http` server relaying through one undici Pool, with nothing else (fixtures/bare-proxy.ts), the most any Node
// proxy built on the balancer's client keeps of the direct rate here.
//
// Ring lookups are timed on their own: ownerOf (MD5 of the id, then a binary search over 160 points per node,
// 10 nodes) against MD5 alone, the part of a lookup the ring cannot avoid.
import { randomBytes } from 'node:crypto';
import { HashRing, ringPosition } from '@backend-rebase/data-structures';
import { Mulberry32 } from '@backend-rebase/seeded-random';
import {
  defineScenario,
  loadRows,
  nginxPath,
  startBlobCluster,
  startFixture,
  wrkPath,
  type Row,
  type ScenarioContext,
} from '../lib/index.js';

const CONNECTIONS = 64;
const SIZES = [
  { label: '4 KiB', bytes: 4 * 1024 },
  { label: '1 MiB', bytes: 1024 * 1024 },
];

/** Stores `body` through the balancer and checks it reads back the same every way (`others`: more proxies). */
async function seed(
  balancer: string,
  blobs: string,
  others: string[],
  id: string,
  body: Buffer,
): Promise<void> {
  const stored = await fetch(`${balancer}/blobs/${id}`, { method: 'PUT', body });
  await stored.arrayBuffer();
  if (stored.status >= 300) throw new Error(`PUT through the balancer answered ${stored.status}`);
  for (const base of [balancer, blobs, ...others]) {
    const read = Buffer.from(await (await fetch(`${base}/blobs/${id}`)).arrayBuffer());
    if (!read.equals(body)) throw new Error(`GET ${base}/blobs/${id} did not return the bytes stored`);
  }
}

function ringRows(ctx: ScenarioContext): Promise<Row[]> {
  const ring = new HashRing(Array.from({ length: 10 }, (_, i) => `blob-${i + 1}`));
  const random = new Mulberry32(7);
  const ids = Array.from({ length: 1 << 16 }, () => `blob-${random.nextUint32().toString(36)}`);
  const positions = Uint32Array.from(ids, ringPosition);
  let i = 0;
  // Smoke runs time these as the other micro-benchmarks do (lib/workloads.ts): a tenth of a second per side,
  // without warm-up, which is enough to see that they run.
  const smoke = { durationSeconds: 0.1, rounds: 1, warmupSeconds: 0 };
  return (async () => {
    const byId = await ctx.compareOps({
      label: 'ring lookup by id',
      project: () => ring.ownerOf(ids[(i = (i + 1) & 0xffff)] as string),
      baseline: () => ringPosition(ids[(i = (i + 1) & 0xffff)] as string),
      ...(ctx.smoke ? smoke : { rounds: 4 }),
    });
    const byPosition = await ctx.timeOps(
      () => ring.ownerAt(positions[(i = (i + 1) & 0xffff)] as number),
      ctx.smoke ? smoke : undefined,
    );
    return [
      {
        case: 'ring lookup by id (MD5 + binary search), 10 nodes; baseline MD5 alone',
        metric: 'ops/s',
        project: byId.project.opsPerSecond,
        baseline: byId.baseline.opsPerSecond,
        higherIsBetter: true,
      },
      {
        case: 'ring lookup by position (binary search), 10 nodes × 160 points',
        metric: 'ops/s',
        project: byPosition,
        baseline: null,
        higherIsBetter: true,
      },
    ];
  })();
}

export default defineScenario({
  name: 'lb-proxy',
  description: `GET and PUT (a new id each time) of 4 KiB and 1 MiB blobs through the load balancer (one node), ${CONNECTIONS} connections; the same GETs through nginx proxy_pass (1 worker) and through Node's bare http + undici Pool; ring lookups/s.`,
  baseline:
    'the same requests straight to the blob server behind it, in the same run; MD5 alone for lookups.',
  async run(ctx) {
    const { balancer, blobs } = await startBlobCluster(ctx);
    const upstream = { UPSTREAM: new URL(blobs).host };
    const nginx = nginxPath()
      ? await startFixture(ctx, {
          name: 'nginx-proxy',
          script: 'bench/fixtures/nginx-proxy.ts',
          env: { ...upstream, DATA_DIR: await ctx.tempDir('nginx-proxy-') },
        })
      : undefined;
    const nginxLabel = (label: string) => `${label} through nginx proxy_pass (1 worker); baseline: direct`;
    const bareProxy = await startFixture(ctx, {
      name: 'bare-proxy',
      script: 'bench/fixtures/bare-proxy.ts',
      env: upstream,
    });
    const bareLabel = (label: string) => `${label} through Node's bare http + undici Pool; baseline: direct`;
    if (nginx === undefined)
      ctx.warn('GET through nginx proxy_pass: skipped, nginx is not installed (apt-get install nginx)');
    const measured: Row[] = [];
    const compare = async (
      label: string,
      proxy: string,
      path: string,
      method: 'GET' | 'PUT',
      bytes: number,
      body?: Buffer,
    ) => {
      // autocannon cannot take in more than about 40 MB/s here; wrk carries the 1 MiB rows when installed.
      const client: 'wrk' | 'autocannon' = bytes > 64 * 1024 && wrkPath() ? 'wrk' : 'autocannon';
      ctx.log(`${label} (${client}): ${ctx.durationSeconds} s per side in alternating rounds`);
      const target = (base: string) => ({
        url: `${base}${path}`,
        method,
        connections: CONNECTIONS,
        client,
        uniquePaths: method === 'PUT',
        ...(body ? { body, headers: { 'content-type': 'application/octet-stream' } } : {}),
      });
      // wrk runs whole seconds and counts only the requests finished in them: 64 uploads of 1 MiB on a busy
      // 2-core machine can take longer than a 1-second round, which would then count nothing. So the large
      // rows get 2 rounds of at least 3 s each.
      const large = bytes > 64 * 1024;
      const { project, baseline } = await ctx.compareLoad({
        label,
        project: target(proxy),
        baseline: target(blobs),
        rounds: ctx.smoke || large ? 2 : 4,
        warmupSeconds: ctx.smoke ? 0 : 1,
        ...(large ? { durationSeconds: Math.max(ctx.durationSeconds, 6) } : {}),
      });
      measured.push(...loadRows(label, { project, baseline }));
    };

    // Smoke runs only prove the scenario works: the small size is enough for that.
    for (const { label, bytes } of ctx.smoke ? SIZES.slice(0, 1) : SIZES) {
      const body = randomBytes(bytes);
      await seed(
        balancer,
        blobs,
        nginx === undefined ? [bareProxy] : [nginx, bareProxy],
        `get-${bytes}`,
        body,
      );
      await compare(`GET ${label}`, balancer, `/blobs/get-${bytes}`, 'GET', bytes);
      if (nginx !== undefined)
        await compare(nginxLabel(`GET ${label}`), nginx, `/blobs/get-${bytes}`, 'GET', bytes);
      await compare(bareLabel(`GET ${label}`), bareProxy, `/blobs/get-${bytes}`, 'GET', bytes);
      await compare(`PUT ${label}`, balancer, `/blobs/put-${bytes}`, 'PUT', bytes, body);
    }
    measured.push(...(await ringRows(ctx)));
    return measured;
  },
});
