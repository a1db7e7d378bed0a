// The rebalancer against blob servers that keep their records in memory (support/fake-node.ts) and a cluster the
// test drives (support/fake-cluster.ts). Each test runs a pass and awaits it (runPass), then reads what every
// node holds directly: where each id lives, its bytes, headers and version, and what the pass reported.
import { captureLogger } from '@backend-rebase/logger/testing';
import { createService } from '@backend-rebase/service-kit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addAntiEntropyPasses } from '../../src/app.js';
import { Rebalancer } from '../../src/rebalance/rebalancer.js';
import { rebalanceRoutes } from '../../src/routes/rebalance.js';
import { FakeCluster } from './support/fake-cluster.js';
import { FakeNode, type LoggedRequest } from './support/fake-node.js';

const NOW = 1_700_000_000_000;
const TTL = 7 * 86_400_000;

// Hundreds of HTTP requests a test: generous on a busy 2-core machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface SetupOptions {
  names?: string[];
  replicationFactor?: number;
  concurrency?: number;
  internalToken?: string;
  /** periodic passes, requested as the app requests them (a listening app's job); default none */
  intervalMs?: number;
  timeoutMs?: number;
  startDelayMs?: number;
}

async function setup({
  names = ['n1', 'n2', 'n3'],
  replicationFactor = 2,
  concurrency = 4,
  internalToken,
  intervalMs,
  timeoutMs = 5_000,
  startDelayMs,
}: SetupOptions = {}) {
  const log: LoggedRequest[] = [];
  let clock = NOW;
  const now = () => clock;
  const startNode = async (name: string) => {
    const node = await new FakeNode({ name, log, now, internalToken }).start();
    cleanups.push(() => node.close());
    return node;
  };
  const nodes = new Map<string, FakeNode>();
  for (const name of names) nodes.set(name, await startNode(name));
  const cluster = new FakeCluster([...nodes.values()], replicationFactor);
  cleanups.push(() => cluster.close());
  const metricsRegistry = new Registry();
  const { logger, lines } = captureLogger('load-balancer');
  const rebalancer = new Rebalancer({
    cluster,
    concurrency,
    tombstoneTtlMs: TTL,
    internalToken,
    timeoutMs,
    startDelayMs,
    logger,
    metricsRegistry,
    now,
  });
  cleanups.push(() => rebalancer.stop());
  if (intervalMs !== undefined) {
    const app = await createService({ name: 'load-balancer', logger });
    addAntiEntropyPasses(app, rebalancer, intervalMs);
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
  }

  const node = (name: string) => nodes.get(name) as FakeNode;
  return {
    log,
    cluster,
    rebalancer,
    node,
    logLines: lines,
    advance(ms: number) {
      clock += ms;
    },
    async join(name: string) {
      const added = await startNode(name);
      nodes.set(name, added);
      cluster.join(added);
      return added;
    },
    /** Writes `id` straight onto `holders`, as a write through the balancer would have. */
    write(id: string, version: number, holders: string[]) {
      for (const holder of holders)
        node(holder).put(id, {
          version,
          body: Buffer.from(`${id} at ${version}`),
          headers: { 'content-type': 'text/plain', 'x-rebase-origin': id },
        });
    },
    remove(id: string, version: number, holders: string[], modified = clock) {
      for (const holder of holders) node(holder).put(id, { version, deleted: true, modified, headers: {} });
    },
    /** The nodes holding any record of `id`, sorted. */
    where(id: string): string[] {
      return [...nodes.values()]
        .filter((n) => n.records.has(id))
        .map((n) => n.name)
        .sort();
    },
    async metric(name: string): Promise<number> {
      const values = (await metricsRegistry.getSingleMetric(name)?.get())?.values ?? [];
      return values.reduce((sum, { value }) => sum + value, 0);
    },
  };
}

const ids = (count: number, prefix = 'blob') => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
const sorted = (names: readonly string[]) => [...names].sort();
const isPut = (request: LoggedRequest) => request.method === 'PUT';
const isPurge = (request: LoggedRequest) =>
  request.method === 'DELETE' && request.path.startsWith('/internal/');

describe('a node joining', () => {
  it('moves exactly the copies whose owners changed, with their bytes, headers and version, then purges the old ones', async () => {
    const t = await setup({ internalToken: 'secret' });
    const all = ids(300);
    for (const id of all) t.write(id, 100, t.cluster.ownersOf(id));
    const before = t.cluster.ringSnapshot();
    await t.join('n4');

    const progress = await t.rebalancer.runPass('n4 joined');

    let gained = 0;
    let lost = 0;
    for (const id of all) {
      const owners = t.cluster.ownersOf(id);
      expect(t.where(id)).toEqual(sorted(owners));
      gained += owners.filter((owner) => !before(id).includes(owner)).length;
      lost += before(id).filter((owner) => !owners.includes(owner)).length;
      for (const owner of owners)
        expect(t.node(owner).records.get(id)).toMatchObject({
          version: 100,
          deleted: false,
          body: Buffer.from(`${id} at 100`),
          headers: { 'content-type': 'text/plain', 'x-rebase-origin': id },
        });
    }
    // With R = 2, about 1/4 of the 600 copies move to the new node.
    expect(gained).toBeGreaterThan(600 * 0.15);
    expect(gained).toBeLessThan(600 * 0.35);
    expect(lost).toBe(gained);
    expect(t.log.filter(isPut).every((request) => request.node === 'n4')).toBe(true);
    expect(progress).toMatchObject({
      state: 'idle',
      trigger: 'n4 joined',
      scanned: 300,
      copied: gained,
      removed: lost,
      errors: 0,
      underReplicated: 0,
    });
    expect(progress.finishedAt).toBe(new Date(NOW).toISOString());
    expect(await t.metric('lb_rebalance_copied_total')).toBe(gained);
    expect(await t.metric('lb_rebalance_removed_total')).toBe(lost);
    expect(await t.metric('lb_handoff_pending')).toBe(0);
    expect(t.cluster.passes).toEqual([
      {
        startEpochs: new Map([
          ['n1', 0],
          ['n2', 0],
          ['n3', 0],
          ['n4', 0],
        ]),
        failed: new Set(),
      },
    ]);
    expect(['n1', 'n2', 'n3', 'n4'].every((name) => t.cluster.inSync(name))).toBe(true);
    const summary = t.logLines().filter((line) => line.message === 'rebalance pass finished');
    expect(summary).toEqual([
      expect.objectContaining({ level: 'info', scanned: 300, copied: gained, removed: lost, errors: 0 }),
    ]);

    // Settled: another pass finds nothing to do.
    const again = await t.rebalancer.runPass('periodic');
    expect(again).toMatchObject({ scanned: 300, copied: 0, removed: 0, errors: 0 });
  });
});

describe('handoff', () => {
  it("keeps a stand-in's copy while the owner is down, then hands it to the owner and purges it", async () => {
    const t = await setup();
    const forN1 = ids(200)
      .filter((id) => t.cluster.ownersOf(id).includes('n1'))
      .slice(0, 20);
    t.cluster.setHealthy('n1', false);
    for (const id of forN1) {
      // The write went to the healthy owner and the stand-in, the third node.
      const other = t.cluster.ownersOf(id).find((owner) => owner !== 'n1') as string;
      const standIn = ['n2', 'n3'].find((name) => name !== other) as string;
      t.write(id, 50, [other, standIn]);
      t.rebalancer.noteHandoff(id, standIn);
    }
    expect(await t.metric('lb_handoff_pending')).toBe(20);

    const whileDown = await t.rebalancer.runPass('periodic');
    expect(whileDown).toMatchObject({ copied: 0, removed: 0, errors: 0, underReplicated: 0 });
    for (const id of forN1) expect(t.where(id)).toEqual(['n2', 'n3']);
    expect(await t.metric('lb_handoff_pending')).toBe(20);
    expect(t.cluster.inSync('n1')).toBe(false);

    t.cluster.setHealthy('n1', true);
    const back = await t.rebalancer.runPass('n1 is healthy again');
    expect(back).toMatchObject({ copied: 20, removed: 20, errors: 0 });
    for (const id of forN1) {
      expect(t.where(id)).toEqual(sorted(t.cluster.ownersOf(id)));
      expect(t.node('n1').records.get(id)?.version).toBe(50);
    }
    expect(await t.metric('lb_handoff_pending')).toBe(0);
    expect(t.cluster.inSync('n1')).toBe(true);
  });
});

describe('a fault between copy and purge', () => {
  async function joined() {
    const t = await setup();
    const all = ids(100);
    for (const id of all) t.write(id, 7, t.cluster.ownersOf(id));
    const before = t.cluster.ringSnapshot();
    const n4 = await t.join('n4');
    const moving = all.filter((id) => t.cluster.ownersOf(id).includes('n4'));
    expect(moving.length).toBeGreaterThan(0);
    return { t, all, before, n4, moving };
  }

  it.each([
    ['refuses the copy', { status: 503 }],
    ['drops the connection', 'drop'],
  ] as const)('leaves the old copy in place when the new owner %s', async (_, fault) => {
    const { t, all, before, n4, moving } = await joined();
    n4.fail(isPut, fault);

    const progress = await t.rebalancer.runPass('n4 joined');
    expect(progress.errors).toBe(moving.length);
    expect(progress.removed).toBe(0);
    for (const id of all) expect(t.where(id)).toEqual(sorted(before(id)));
    expect(t.cluster.passes.at(-1)?.failed).toEqual(new Set(['n4']));
    expect(t.cluster.inSync('n4')).toBe(false);

    n4.clearFaults();
    const healed = await t.rebalancer.runPass('periodic');
    expect(healed).toMatchObject({ copied: moving.length, removed: moving.length, errors: 0 });
    for (const id of all) expect(t.where(id)).toEqual(sorted(t.cluster.ownersOf(id)));
    expect(t.cluster.inSync('n4')).toBe(true);
  });

  it('counts a copy whose answer was lost as done when the owner holds it, and purges the old copy', async () => {
    const { t, all, moving } = await joined();
    t.node('n4').fail(isPut, 'keep-then-drop');
    const progress = await t.rebalancer.runPass('n4 joined');
    expect(progress).toMatchObject({ copied: 0, removed: moving.length, errors: 0 });
    for (const id of all) expect(t.where(id)).toEqual(sorted(t.cluster.ownersOf(id)));
    expect(t.cluster.inSync('n4')).toBe(true);
  });

  it('runs another pass on its own after a pass that failed', async () => {
    const { t, all, n4 } = await joined();
    n4.fail(isPut, { status: 503 });
    await t.rebalancer.runPass('n4 joined');
    expect(t.cluster.passes).toHaveLength(1);
    n4.clearFaults();
    await vi.waitFor(() => expect(t.cluster.passes).toHaveLength(2), { timeout: 30_000, interval: 50 });
    await t.rebalancer.runPass('check');
    for (const id of all) expect(t.where(id)).toEqual(sorted(t.cluster.ownersOf(id)));
    expect(t.cluster.inSync('n4')).toBe(true);
  });

  it('does not purge when the new owner acknowledged the copy but does not hold it', async () => {
    const { t, all, before, n4 } = await joined();
    n4.fail(isPut, 'lose-write');
    const progress = await t.rebalancer.runPass('n4 joined');
    expect(progress.removed).toBe(0);
    for (const id of all) expect(t.where(id)).toEqual(sorted(before(id)));
  });

  it('does not purge when an owner cannot be asked to confirm', async () => {
    const { t, all, before, n4 } = await joined();
    n4.fail((request) => request.method === 'HEAD', { status: 500 });
    const progress = await t.rebalancer.runPass('n4 joined');
    expect(progress.removed).toBe(0);
    expect(progress.errors).toBeGreaterThan(0);
    for (const id of all)
      expect(t.where(id)).toEqual(sorted([...new Set([...before(id), ...t.cluster.ownersOf(id)])]));
  });

  it('keeps the extra copy when the purge itself fails, and purges it on the next pass', async () => {
    const { t, all, moving } = await joined();
    for (const name of ['n1', 'n2', 'n3']) t.node(name).fail(isPurge, 'drop');
    const progress = await t.rebalancer.runPass('n4 joined');
    expect(progress).toMatchObject({ copied: moving.length, removed: 0, errors: moving.length });
    for (const id of moving) expect(t.where(id)).toHaveLength(3);
    expect(await t.metric('lb_handoff_pending')).toBe(moving.length);

    for (const name of ['n1', 'n2', 'n3']) t.node(name).clearFaults();
    await t.rebalancer.runPass('periodic');
    for (const id of all) expect(t.where(id)).toEqual(sorted(t.cluster.ownersOf(id)));
  });
});

describe('tombstones', () => {
  it('copies a tombstone over older data and reclaims it only once it is older than TOMBSTONE_TTL on every owner', async () => {
    const t = await setup();
    const id = 'deleted-once';
    const [a, b] = t.cluster.ownersOf(id) as [string, string];
    t.write(id, 5, [b]);
    t.remove(id, 10, [a]);

    const first = await t.rebalancer.runPass('start');
    expect(first).toMatchObject({ copied: 1, removed: 0, underReplicated: 1 });
    expect(t.node(b).records.get(id)).toMatchObject({ version: 10, deleted: true });
    expect(t.log.some((r) => r.node === b && r.method === 'DELETE' && r.path.startsWith('/blobs/'))).toBe(
      true,
    );

    t.advance(TTL);
    expect(await t.rebalancer.runPass('periodic')).toMatchObject({ copied: 0, removed: 0 });
    expect(t.where(id)).toEqual(sorted([a, b]));

    t.advance(1);
    expect(await t.rebalancer.runPass('periodic')).toMatchObject({ removed: 2 });
    expect(t.where(id)).toEqual([]);
  });

  it('waits for the copy it made itself to grow old before reclaiming', async () => {
    const t = await setup();
    const id = 'old-delete';
    const [a, b] = t.cluster.ownersOf(id) as [string, string];
    t.remove(id, 10, [a], NOW - 2 * TTL);
    await t.rebalancer.runPass('start');
    expect(t.where(id)).toEqual(sorted([a, b]));
    t.advance(TTL + 1);
    await t.rebalancer.runPass('periodic');
    expect(t.where(id)).toEqual([]);
  });

  it('lets a tombstone win a tie against data of the same version', async () => {
    const t = await setup();
    const id = 'tied';
    const [a, b] = t.cluster.ownersOf(id) as [string, string];
    t.write(id, 7, [a]);
    t.remove(id, 7, [b]);
    await t.rebalancer.runPass('start');
    expect(t.node(a).records.get(id)).toMatchObject({ version: 7, deleted: true });
    expect(t.node(b).records.get(id)).toMatchObject({ version: 7, deleted: true });
  });

  it('purges stale data left on another node before reclaiming, and never copies it back', async () => {
    const t = await setup();
    const id = 'stale-elsewhere';
    const owners = t.cluster.ownersOf(id);
    const other = ['n1', 'n2', 'n3'].find((name) => !owners.includes(name)) as string;
    t.remove(id, 10, owners, NOW - 2 * TTL);
    t.write(id, 5, [other]);

    const first = await t.rebalancer.runPass('start');
    expect(first).toMatchObject({ copied: 0, removed: 1 });
    expect(t.where(id)).toEqual(sorted(owners));
    expect(t.log.filter(isPut)).toEqual([]);
    await t.rebalancer.runPass('periodic');
    expect(t.where(id)).toEqual([]);
  });

  it('reclaims nothing in a pass that could not read every listing', async () => {
    const t = await setup();
    const id = 'cannot-see-all';
    const owners = t.cluster.ownersOf(id);
    const other = ['n1', 'n2', 'n3'].find((name) => !owners.includes(name)) as string;
    t.remove(id, 10, owners, NOW - 2 * TTL);
    t.node(other).fail((request) => request.path === '/internal/blobs', { status: 500 });

    const progress = await t.rebalancer.runPass('start');
    expect(progress).toMatchObject({ removed: 0, errors: 1 });
    expect(t.where(id)).toEqual(sorted(owners));
    expect(t.cluster.passes.at(-1)?.failed).toEqual(new Set([other]));
  });
});

describe('draining', () => {
  it('empties a draining node onto the owners and reports it drained only once it holds nothing', async () => {
    const t = await setup();
    const all = ids(60);
    for (const id of all) t.write(id, 3, t.cluster.ownersOf(id));
    t.remove('gone', 4, t.cluster.ownersOf('gone'));
    t.cluster.drain('n3');
    const onN3 = [...t.node('n3').records.keys()];
    expect(onN3.length).toBeGreaterThan(0);

    t.node('n1').fail(isPut, { status: 507 });
    t.node('n2').fail((request) => request.method === 'DELETE' && !isPurge(request), { status: 507 });
    await t.rebalancer.runPass('n3 draining');
    expect(t.cluster.drainedNodes).toEqual([]);
    expect(t.node('n3').records.size).toBeGreaterThan(0);

    t.node('n1').clearFaults();
    t.node('n2').clearFaults();
    await t.rebalancer.runPass('periodic');
    expect(t.node('n3').records.size).toBe(0);
    expect(t.cluster.drainedNodes).toEqual(['n3']);
    for (const id of [...all, 'gone']) expect(t.where(id)).toEqual(['n1', 'n2']);
    expect(t.node('n1').records.get('gone')).toMatchObject({ version: 4, deleted: true });
  });
});

describe('passes', () => {
  it('repairs under-replicated ids before anything else', async () => {
    const t = await setup({ concurrency: 1 });
    const single = ids(10, 'single');
    const moving = ids(10, 'moving');
    for (const id of single) t.write(id, 1, [t.cluster.ownersOf(id)[0] as string]);
    for (const id of moving) {
      const [first] = t.cluster.ownersOf(id) as [string, string];
      const other = ['n1', 'n2', 'n3'].find((name) => !t.cluster.ownersOf(id).includes(name)) as string;
      t.write(id, 1, [first, other]);
    }

    const progress = await t.rebalancer.runPass('start');
    expect(progress).toMatchObject({ scanned: 20, copied: 20, removed: 10, underReplicated: 10 });
    expect(await t.metric('lb_under_replicated_blobs')).toBe(10);
    const order = t.log.filter((r) => isPut(r) || isPurge(r)).map((r) => r.id as string);
    const lastSingle = Math.max(...single.map((id) => order.indexOf(id)));
    const firstMoving = Math.min(...moving.map((id) => order.indexOf(id)));
    expect(lastSingle).toBeLessThan(firstMoving);
    for (const id of [...single, ...moving]) expect(t.where(id)).toEqual(sorted(t.cluster.ownersOf(id)));

    await t.rebalancer.runPass('periodic');
    expect(await t.metric('lb_under_replicated_blobs')).toBe(0);
  });

  it('runs one more pass for any number of requests during a pass, and is busy until then', async () => {
    const t = await setup();
    t.write('x', 1, ['n1']);
    let open = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    const listed = t.node('n1').arrival((r) => r.path === '/internal/blobs');
    t.node('n1').hold((r) => r.path === '/internal/blobs', opened);

    expect(t.rebalancer.busy).toBe(false);
    t.rebalancer.request('first');
    await listed;
    expect(t.rebalancer.busy).toBe(true);
    expect(t.rebalancer.progress).toMatchObject({ state: 'running', trigger: 'first', finishedAt: null });
    const done = t.rebalancer.runPass('second');
    t.rebalancer.request('third');
    open();
    const progress = await done;

    expect(t.cluster.passes).toHaveLength(2);
    expect(progress).toMatchObject({ state: 'idle', trigger: 'second' });
    expect(t.rebalancer.busy).toBe(false);
  });

  it('runs a pass on start and then every intervalMs', async () => {
    const t = await setup({ intervalMs: 50 });
    t.write('x', 1, ['n1']);
    t.rebalancer.start();
    await t.cluster.passesFinished(1);
    expect(t.node('n2').records.has('x') || t.node('n3').records.has('x')).toBe(true);
    await t.cluster.passesFinished(2);
    expect(t.rebalancer.progress.trigger).toBe('periodic');
  });

  it('holds the passes requested during the start delay and runs them as one after it', async () => {
    const t = await setup({ startDelayMs: 200 });
    t.write('x', 1, ['n1']);
    t.rebalancer.start();
    t.rebalancer.request('n4 joined');
    expect(t.rebalancer.busy).toBe(true);
    expect(t.rebalancer.progress.state).toBe('idle');
    await t.cluster.passesFinished(1);
    expect(t.rebalancer.progress).toMatchObject({ trigger: 'start', copied: 1 });
    expect(t.cluster.passes).toHaveLength(1);
  });

  it('gives up on a node that does not answer within timeoutMs and counts it failed', async () => {
    const t = await setup({ timeoutMs: 300 });
    const id = ids(50).find((candidate) => t.cluster.ownersOf(candidate).includes('n3')) as string;
    const other = t.cluster.ownersOf(id).find((owner) => owner !== 'n3') as string;
    t.write(id, 1, [other]);
    t.node('n3').hold(isPut, new Promise<void>(() => {}));
    const progress = await t.rebalancer.runPass('start');
    expect(progress).toMatchObject({ copied: 0, errors: 1 });
    expect(t.cluster.passes.at(-1)?.failed).toEqual(new Set(['n3']));
    expect(t.where(id)).toEqual([other]);
  });

  it('stops in the middle of a pass without finishing it', async () => {
    const t = await setup();
    t.write('x', 1, ['n1']);
    const listed = t.node('n1').arrival((r) => r.path === '/internal/blobs');
    t.node('n1').hold((r) => r.path === '/internal/blobs', new Promise<void>(() => {}));
    t.rebalancer.request('start');
    await listed;
    await t.rebalancer.stop();
    expect(t.cluster.passes).toEqual([]);
    expect(t.rebalancer.progress.state).toBe('idle');
    t.rebalancer.request('after stop');
    expect(t.rebalancer.busy).toBe(false);
  });
});

describe('read repair', () => {
  it('copies the newest version to the owners that lack it, and counts only repairs that copied', async () => {
    const t = await setup();
    const [a, b] = t.cluster.ownersOf('stale') as [string, string];
    t.write('stale', 2, [a]);
    t.write('stale', 1, [b]);
    t.rebalancer.repair('stale');
    await t.rebalancer.repairsSettled();
    expect(t.node(b).records.get('stale')?.version).toBe(2);
    expect(await t.metric('lb_read_repairs_total')).toBe(1);

    t.rebalancer.repair('stale');
    await t.rebalancer.repairsSettled();
    expect(await t.metric('lb_read_repairs_total')).toBe(1);

    const [c, d] = t.cluster.ownersOf('deleted') as [string, string];
    t.write('deleted', 3, [c]);
    t.remove('deleted', 4, [d]);
    t.rebalancer.repair('deleted');
    await t.rebalancer.repairsSettled();
    expect(t.node(c).records.get('deleted')).toMatchObject({ version: 4, deleted: true });
    expect(await t.metric('lb_read_repairs_total')).toBe(2);
    expect(t.rebalancer.progress.copied).toBe(0);
  });
});

describe('the read-repair queue', () => {
  it('holds at most 1000 waiting ids and drops the rest', async () => {
    const t = await setup({ names: ['n1'], replicationFactor: 1, concurrency: 2 });
    let open = () => {};
    t.node('n1').hold((r) => r.method === 'HEAD', new Promise<void>((resolve) => (open = resolve)));
    const asked = Promise.all([0, 1].map(() => t.node('n1').arrival((r) => r.method === 'HEAD')));
    const all = ids(1100, 'repair');
    t.rebalancer.repair(all[0] as string);
    t.rebalancer.repair(all[1] as string);
    await asked; // both workers are busy; everything else waits in the queue
    for (const id of all.slice(2)) t.rebalancer.repair(id);
    open();
    await t.rebalancer.repairsSettled();
    const headed = new Set(t.log.filter((r) => r.node === 'n1' && r.method === 'HEAD').map((r) => r.id));
    expect(headed).toEqual(new Set(all.slice(0, 1002)));
  });
});

describe('GET /internal/rebalance', () => {
  it('answers the progress of the last pass', async () => {
    const t = await setup();
    t.write('one', 1, ['n1']);
    const { logger } = captureLogger('load-balancer');
    const app = await createService({ name: 'load-balancer', logger });
    await app.register(rebalanceRoutes, { rebalancer: t.rebalancer });
    cleanups.push(() => app.close());

    const idle = await app.inject({ method: 'GET', url: '/internal/rebalance' });
    expect(idle.statusCode).toBe(200);
    expect(idle.json()).toEqual({
      state: 'idle',
      startedAt: null,
      finishedAt: null,
      trigger: null,
      scanned: 0,
      copied: 0,
      removed: 0,
      errors: 0,
      underReplicated: 0,
    });

    await t.rebalancer.runPass('start');
    const after = await app.inject({ method: 'GET', url: '/internal/rebalance' });
    expect(after.json()).toEqual({
      state: 'idle',
      startedAt: new Date(NOW).toISOString(),
      finishedAt: new Date(NOW).toISOString(),
      trigger: 'start',
      scanned: 1,
      copied: 1,
      removed: 0,
      errors: 0,
      underReplicated: 1,
    });
  });
});
