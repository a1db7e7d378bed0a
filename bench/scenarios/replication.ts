// What keeping two copies costs, and how fast a joining node is filled.
//
// 1. R = 2 against R = 1 on the same three blob servers, in the same run: two balancers stand in front of the
//    same nodes, one with REPLICATION_FACTOR=2 (the default; WRITE_QUORUM 2, so a PUT is acknowledged once both
//    owners stored it) and one with REPLICATION_FACTOR=1, and ctx.compareLoad alternates them in rounds. PUTs
//    (a new id each time, a prefix per balancer so neither overwrites the other's blobs) and GETs of 4 KiB and
//    1 MiB, 64 connections. GETs read blobs both balancers place alike (their first owner is the same node);
//    both take the fast path (every owner healthy and caught up, nothing moving), which asks one owner, so a
//    GET should cost the same; a PUT streams the body to two nodes instead of one. The blob servers run with
//    FSYNC=false, as in lb-proxy, so the rows measure the fan-out, not the disk. Both balancers' periodic
//    rebalancer passes are pushed out of the run (REBALANCE_INTERVAL_MS one hour): with different R they
//    would each undo the other's placement, and that is not what is measured here. A write cut off at the end
//    of a round counts as missed by its owners and asks for a pass, so the PUT rows go through a second pair of
//    balancers whose passes are held for the whole run (REBALANCE_START_DELAY_MS one hour): a PUT does not
//    need its nodes in sync, while a GET's fast path does, so the GET pair must have run its first pass. The
//    run warns if any rebalancer moved a copy during the rows anyway.
// 2. Rebalancing: a cluster of three nodes holding 10,000 blobs of 64 KiB (R = 2) is joined by a fourth. The
//    rate of foreground GETs (random ids, 16 connections) is measured while idle, then while the rebalancer
//    fills the new node; the new node's listing gives the bytes it received, GET /internal/rebalance the time
//    the passes took (first start to last finish after the join), and lb_rebalance_copied_total the copies.
//    Every blob is then checked to be on exactly its two owners, from the nodes' own listings.
//
// On the 2-core development machine the balancers, the nodes and the load generator share the same cores, so
// every extra byte the balancer moves is CPU taken from the nodes too: read the ratios with that in mind.
import { randomBytes } from 'node:crypto';
import { HashRing } from '@backend-rebase/data-structures';
import { Mulberry32 } from '@backend-rebase/seeded-random';
import { defineScenario, loadRows, wrkPath, type Row, type ScenarioContext } from '../lib/index.js';
import { startBlobNode } from '../lib/blob-cluster.js';
import type { ProcessHandle } from '../lib/process.js';
import {
  counterValue,
  listNode,
  rebalanceProgress,
  registerNode,
  startBalancer,
  waitUntilSettled,
  type Balancer,
  type RebalanceProgress,
} from '../lib/replicated-cluster.js';

const CONNECTIONS = 64;
const SIZES = [
  { label: '4 KiB', bytes: 4 * 1024 },
  { label: '1 MiB', bytes: 1024 * 1024 },
];
const REBALANCE_BLOBS = 10_000;
const REBALANCE_BLOB_BYTES = 64 * 1024;
const FOREGROUND_CONNECTIONS = 16;
/**
 * Every balancer here: no periodic pass during the run (see the top of the file), and health checks that allow
 * a node 5 s to answer, so a busy 2-core machine does not make nodes flap (each flap asks for a pass).
 */
const QUIET_REBALANCER = { REBALANCE_INTERVAL_MS: String(3_600_000), HEALTH_TIMEOUT_MS: '5000' };
/** For the PUT rows: no pass at all, not even the ones that writes cut off at the end of a round ask for. */
const HELD_REBALANCER = { ...QUIET_REBALANCER, REBALANCE_START_DELAY_MS: String(3_600_000) };

interface Node {
  name: string;
  url: string;
  handle: ProcessHandle;
}

async function startNodes(ctx: ScenarioContext, balancer: string, names: string[]): Promise<Node[]> {
  return Promise.all(
    names.map(async (name) => ({
      name,
      ...(await startBlobNode(ctx, {
        name,
        loadBalancerUrl: balancer,
        env: { HEARTBEAT_INTERVAL_MS: '2000' },
      })),
    })),
  );
}

/** Stops the balancers before the nodes at clean-up (see startBlobCluster: their pooled connections). */
function stopFirst(ctx: ScenarioContext, balancers: Balancer[]): void {
  for (const balancer of balancers) ctx.onCleanup(() => balancer.handle.stop());
}

async function put(url: string, body: Buffer): Promise<void> {
  const response = await fetch(url, { method: 'PUT', body });
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`PUT ${url} answered ${response.status}`);
}

async function readBack(url: string, body: Buffer): Promise<void> {
  const read = Buffer.from(await (await fetch(url)).arrayBuffer());
  if (!read.equals(body)) throw new Error(`GET ${url} did not return the bytes stored`);
}

async function replicationFactorRows(ctx: ScenarioContext): Promise<Row[]> {
  const r2 = await startBalancer(ctx, 'balancer-r2', {
    REPLICATION_FACTOR: '2',
    BALANCER_ID: '2',
    ...QUIET_REBALANCER,
  });
  const r1 = await startBalancer(ctx, 'balancer-r1', {
    REPLICATION_FACTOR: '1',
    BALANCER_ID: '1',
    ...QUIET_REBALANCER,
  });
  const r2put = await startBalancer(ctx, 'balancer-r2-put', {
    REPLICATION_FACTOR: '2',
    BALANCER_ID: '3',
    ...HELD_REBALANCER,
  });
  const r1put = await startBalancer(ctx, 'balancer-r1-put', {
    REPLICATION_FACTOR: '1',
    BALANCER_ID: '4',
    ...HELD_REBALANCER,
  });
  const nodes = await startNodes(ctx, r2.url, ['blob-1', 'blob-2', 'blob-3']);
  const balancers = [r1, r2, r1put, r2put];
  stopFirst(ctx, balancers);
  for (const balancer of [r1, r1put, r2put]) {
    for (const node of nodes) await registerNode(balancer.url, node.name, node.url);
  }
  const names = nodes.map((node) => node.name);
  await Promise.all([waitUntilSettled(r2.url, names), waitUntilSettled(r1.url, names)]);

  const rows: Row[] = [];
  for (const { label, bytes } of ctx.smoke ? SIZES.slice(0, 1) : SIZES) {
    const body = randomBytes(bytes);
    const id = `get-${bytes}`;
    await put(`${r2.url}/blobs/${id}`, body);
    await Promise.all([readBack(`${r2.url}/blobs/${id}`, body), readBack(`${r1.url}/blobs/${id}`, body)]);
    const large = bytes > 64 * 1024;
    // autocannon cannot take in more than about 40 MB/s here; wrk carries the 1 MiB rows when installed.
    const client: 'wrk' | 'autocannon' = large && wrkPath() ? 'wrk' : 'autocannon';
    for (const method of ['GET', 'PUT'] as const) {
      const caseLabel = `${method} ${label}, R = 2 (baseline R = 1)`;
      ctx.log(`${caseLabel} (${client}): ${ctx.durationSeconds} s per side in alternating rounds`);
      const target = (balancer: Balancer, side: string) => ({
        url: method === 'GET' ? `${balancer.url}/blobs/${id}` : `${balancer.url}/blobs/put-${side}-${bytes}`,
        method,
        connections: CONNECTIONS,
        client,
        uniquePaths: method === 'PUT',
        ...(method === 'PUT' ? { body, headers: { 'content-type': 'application/octet-stream' } } : {}),
      });
      // As in lb-proxy: 1 MiB rows get 2 rounds of at least 6 s, so that slow uploads finish inside a round.
      const { project, baseline } = await ctx.compareLoad({
        label: caseLabel,
        project: method === 'GET' ? target(r2, 'r2') : target(r2put, 'r2'),
        baseline: method === 'GET' ? target(r1, 'r1') : target(r1put, 'r1'),
        rounds: ctx.smoke || large ? 2 : 4,
        warmupSeconds: ctx.smoke ? 0 : 1,
        ...(large ? { durationSeconds: Math.max(ctx.durationSeconds, 6) } : {}),
      });
      rows.push(...loadRows(caseLabel, { project, baseline }));
    }
  }
  let moved = 0;
  for (const balancer of balancers) {
    moved += await counterValue(balancer.url, 'lb_rebalance_removed_total');
    moved += await counterValue(balancer.url, 'lb_rebalance_copied_total');
  }
  if (moved > 0) {
    ctx.warn(
      `rebalancers copied or purged ${moved} copies during the R = 2 / R = 1 rows, taking CPU from them`,
    );
  }
  // The rebalancing part starts a cluster of its own; these processes would only take CPU from it.
  for (const balancer of balancers) await balancer.handle.stop();
  await Promise.all(nodes.map((node) => node.handle.stop()));
  return rows;
}

interface ForegroundLoad {
  /** completion times (ms since the epoch) and latencies (ms) of the 200s */
  done: Array<{ at: number; ms: number }>;
  failures: number;
  stop(): Promise<void>;
}

/** GETs of random seeded ids through the balancer on `connections` concurrent loops until stopped. */
function foregroundGets(balancer: string, ids: number, connections: number, seed: number): ForegroundLoad {
  const random = new Mulberry32(seed);
  const load: ForegroundLoad = { done: [], failures: 0, stop: () => Promise.resolve() };
  let running = true;
  const loop = async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${balancer}/blobs/reb-${random.nextUint32() % ids}`);
        await response.arrayBuffer();
        if (response.status === 200) load.done.push({ at: Date.now(), ms: performance.now() - started });
        else load.failures++;
      } catch {
        load.failures++;
      }
    }
  };
  const loops = Promise.all(Array.from({ length: connections }, loop));
  load.stop = async () => {
    running = false;
    await loops;
  };
  return load;
}

/** req/s and p99 of the GETs that finished inside [from, to]. */
function windowRate(load: ForegroundLoad, from: number, to: number): { rate: number; p99: number } {
  const inside = load.done.filter(({ at }) => at >= from && at <= to);
  const latencies = inside.map(({ ms }) => ms).sort((a, b) => a - b);
  const seconds = Math.max(to - from, 1) / 1000;
  return {
    rate: inside.length / seconds,
    p99: latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? Number.NaN,
  };
}

function describePass(progress: RebalanceProgress): string {
  const { trigger, state, startedAt, finishedAt, copied, removed, errors } = progress;
  return `${trigger} (${state}, ${startedAt} → ${finishedAt}, copied ${copied}, removed ${removed}, errors ${errors})`;
}

async function rebalanceRows(ctx: ScenarioContext): Promise<Row[]> {
  const blobs = ctx.smoke ? 200 : REBALANCE_BLOBS;
  const blobBytes = ctx.smoke ? 4 * 1024 : REBALANCE_BLOB_BYTES;
  const balancer = await startBalancer(ctx, 'balancer', { REPLICATION_FACTOR: '2', ...QUIET_REBALANCER });
  const nodes = await startNodes(ctx, balancer.url, ['blob-1', 'blob-2', 'blob-3']);
  stopFirst(ctx, [balancer]);
  await waitUntilSettled(balancer.url, ['blob-1', 'blob-2', 'blob-3']);

  ctx.log(`storing ${blobs} blobs of ${blobBytes / 1024} KiB (R = 2)`);
  const body = randomBytes(blobBytes);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < blobs; i = next++) await put(`${balancer.url}/blobs/reb-${i}`, body);
    }),
  );
  await waitUntilSettled(balancer.url, ['blob-1', 'blob-2', 'blob-3']);

  ctx.log(`foreground GETs while idle: ${ctx.durationSeconds} s`);
  const idleLoad = foregroundGets(balancer.url, blobs, FOREGROUND_CONNECTIONS, 1);
  const idleFrom = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ctx.durationSeconds * 1000));
  const idleTo = Date.now();
  await idleLoad.stop();
  const idle = windowRate(idleLoad, idleFrom, idleTo);

  ctx.log('a fourth node joins; foreground GETs until the rebalancer is done');
  const copiedBefore = await counterValue(balancer.url, 'lb_rebalance_copied_total');
  const busyLoad = foregroundGets(balancer.url, blobs, FOREGROUND_CONNECTIONS, 2);
  const joinedAt = Date.now();
  const [fourth] = await startNodes(ctx, balancer.url, ['blob-4']);
  // The passes after the join: the first start seen after it, and the last finish once nothing more starts.
  let firstStart = Number.POSITIVE_INFINITY;
  let settledAt: number | undefined;
  const deadline = Date.now() + 40 * 60_000;
  const passes = new Map<string, string>();
  while (settledAt === undefined) {
    if (Date.now() > deadline) throw new Error('the rebalancer did not finish within 40 minutes');
    const progress = await rebalanceProgress(balancer.url);
    if (progress.startedAt !== null) passes.set(progress.startedAt, describePass(progress));
    const started = progress.startedAt === null ? 0 : Date.parse(progress.startedAt);
    if (started >= joinedAt) firstStart = Math.min(firstStart, started);
    const finished = progress.finishedAt === null ? 0 : Date.parse(progress.finishedAt);
    if (progress.state === 'idle' && started >= joinedAt && finished >= started) {
      // One more look a moment later: a pass asked for during the last one starts right after it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const again = await rebalanceProgress(balancer.url);
      if (again.state === 'idle' && again.startedAt === progress.startedAt) settledAt = finished;
    } else {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await busyLoad.stop();
  ctx.log(`passes seen since the join: ${[...passes.values()].join('; ')}`);
  const busy = windowRate(busyLoad, firstStart, settledAt);
  const seconds = (settledAt - firstStart) / 1000;
  const copied = (await counterValue(balancer.url, 'lb_rebalance_copied_total')) - copiedBefore;
  if (busyLoad.failures + idleLoad.failures > 0) {
    ctx.warn(`${busyLoad.failures + idleLoad.failures} foreground GETs failed or were not 200`);
  }

  // Where everything is now, from the nodes themselves: each blob on exactly its two owners.
  const all = [...nodes, fourth!];
  const listings = await Promise.all(all.map((node) => listNode(node.url)));
  const received = listings.at(-1)!.filter((record) => !record.deleted);
  const movedMiB = received.reduce((sum, record) => sum + record.size, 0) / 2 ** 20;
  const ring = new HashRing(all.map((node) => node.name));
  const holders = new Map<string, string[]>();
  listings.forEach((records, index) => {
    for (const record of records) {
      if (record.deleted) continue;
      holders.set(record.id, [...(holders.get(record.id) ?? []), all[index]!.name]);
    }
  });
  const misplaced = [...holders].filter(
    ([id, on]) => on.sort().join() !== ring.ownersOf(id, 2).sort().join(),
  ).length;
  if (holders.size !== blobs || misplaced > 0) {
    ctx.warn(
      `after the rebalance ${holders.size} of ${blobs} blobs were found, ${misplaced} not on exactly their 2 owners`,
    );
  }
  if (copied !== received.length) {
    ctx.warn(`lb_rebalance_copied_total rose by ${copied}, the new node holds ${received.length} blobs`);
  }
  ctx.log(
    `moved ${received.length} copies (${movedMiB.toFixed(1)} MiB) in ${seconds.toFixed(1)} s; ` +
      `GETs ${busy.rate.toFixed(0)} req/s during, ${idle.rate.toFixed(0)} idle`,
  );

  const joinCase = `4th node joins 3 holding ${blobs.toLocaleString('en-US')} × ${blobBytes / 1024} KiB (R = 2)`;
  const getCase = `foreground GET ${blobBytes / 1024} KiB, ${FOREGROUND_CONNECTIONS} connections: during the rebalance (baseline idle)`;
  return [
    {
      case: joinCase,
      metric: 'MiB/s moved',
      project: movedMiB / seconds,
      baseline: null,
      higherIsBetter: true,
    },
    { case: joinCase, metric: 'MiB moved', project: movedMiB, baseline: null, higherIsBetter: true },
    {
      case: joinCase,
      metric: '% of copies moved',
      project: (100 * received.length) / (2 * blobs),
      baseline: null,
      higherIsBetter: true,
    },
    { case: joinCase, metric: 's', project: seconds, baseline: null, higherIsBetter: false },
    { case: getCase, metric: 'req/s', project: busy.rate, baseline: idle.rate, higherIsBetter: true },
    { case: getCase, metric: 'p99 ms', project: busy.p99, baseline: idle.p99, higherIsBetter: false },
  ];
}

export default defineScenario({
  name: 'replication',
  description:
    `PUT and GET of 4 KiB and 1 MiB blobs through a balancer keeping 2 copies, 3 nodes, ${CONNECTIONS} connections; ` +
    `rebalancing when a 4th node joins ${REBALANCE_BLOBS.toLocaleString('en-US')} blobs of 64 KiB, with foreground GETs.`,
  baseline:
    'a second balancer keeping 1 copy in front of the same 3 nodes, in alternating rounds; the same GETs before the join.',
  async run(ctx) {
    return [...(await replicationFactorRows(ctx)), ...(await rebalanceRows(ctx))];
  },
});
