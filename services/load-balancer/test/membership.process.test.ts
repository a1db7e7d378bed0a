// Membership changes end to end with real processes (R = 2): a fourth node joins while a writer writes and a
// reader reads (every read right all along), a live node is drained with DELETE /internal/nodes/:name, and a
// dead one (kill -9) is removed. After each change and the rebalancer's pass, every blob must be on exactly its
// owners — checked on each node directly — and read back through the balancer with its exact bytes. The tests run in order on one cluster: 3 nodes, 4
// after the join, 3 during the drain, 4 once the drained node restarts, 3 after the dead one is removed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProcessCluster, forEachLimit, waitFor, type Expected } from './support/processes.js';

const FIRST_NODES = ['m-1', 'm-2', 'm-3'];
const HEARTBEAT_INTERVAL_MS = 300;
let cluster: ProcessCluster;
/** the nodes that should be on the ring now */
let members = [...FIRST_NODES];
/** every id this file wrote, and what it must read as */
const expected = new Map<string, Expected>();
/** the ids written before the fourth node joins, for the moved fraction */
const joinIds = Array.from({ length: 300 }, (_, i) => `j-${i}`);

beforeAll(async () => {
  cluster = await ProcessCluster.start({
    label: 'membership',
    nodes: FIRST_NODES,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
}, 30_000);

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`members: ${members.join(', ')}\nprocess output:\n${cluster.logTail()}`));
});

const blobFor = (label: string) =>
  Buffer.concat([Buffer.from(`${label}\n`), randomBytes(100 + Math.floor(Math.random() * 3000))]);

/** "node\tid" for each copy of `ids` the running nodes hold */
async function copies(ids: readonly string[]): Promise<Set<string>> {
  const wanted = new Set(ids);
  const pairs = new Set<string>();
  for (const node of cluster.nodes.values()) {
    if (!node.isRunning) continue;
    for (const record of await cluster.recordsOn(node.name)) {
      if (wanted.has(record.id)) pairs.add(`${node.name}\t${record.id}`);
    }
  }
  return pairs;
}

describe('membership changes with real processes, R = 2', () => {
  it('a fourth node joins under a steady write load: every acknowledged blob reads back, each on exactly its owners, about 1/4 of the copies moved', async () => {
    const refused: string[] = [];
    await forEachLimit(joinIds, 4, async (id) => {
      const bytes = blobFor(id);
      const { status, detail } = await cluster.put(id, bytes);
      if (status === 200 || status === 201) expected.set(id, { kind: 'blob', bytes });
      else refused.push(`PUT ${id}: ${status} ${detail}`);
    });
    expect(refused).toEqual([]);
    const before = await copies(joinIds);
    expect(before.size).toBe(2 * joinIds.length);

    // Until the join has settled: one writer, one request at a time, writing new ids and overwriting the first
    // hundred; and one reader reading the other two hundred, which must come back with their bytes all along
    // (before replication, a quarter of them answered 404 once a fourth node joined).
    const overwritten = joinIds.slice(0, 100);
    const untouched = joinIds.slice(100);
    let writing = true;
    let writes = 0;
    let reads = 0;
    const wrongReads: string[] = [];
    const writer = (async () => {
      for (let n = 0; writing; n += 1) {
        const id = n % 2 === 0 ? `w-${n}` : (overwritten[(n * 7) % overwritten.length] as string);
        const bytes = blobFor(`${id} write ${n}`);
        const { status, detail } = await cluster.put(id, bytes).catch((error: Error) => ({
          status: 0,
          detail: error.message,
        }));
        if (status === 200 || status === 201) expected.set(id, { kind: 'blob', bytes });
        else refused.push(`PUT ${id} during the join: ${status} ${detail}`);
        writes += 1;
      }
    })();
    const reader = (async () => {
      for (let n = 0; writing; n += 1) {
        const id = untouched[n % untouched.length] as string;
        const problem = await cluster.readProblem(id, expected.get(id) as Expected);
        if (problem) wrongReads.push(problem);
        reads += 1;
      }
    })();
    try {
      const since = Date.now();
      await cluster.addNode('m-4');
      members = [...FIRST_NODES, 'm-4'];
      await cluster.settle(since, members, 90_000);
    } finally {
      writing = false;
      await Promise.all([writer, reader]);
    }
    expect(refused, 'writes during the join').toEqual([]);
    expect(wrongReads.slice(0, 20), `${wrongReads.length} of ${reads} reads during the join`).toEqual([]);
    expect(writes).toBeGreaterThan(10);
    expect(await cluster.placementProblems(expected)).toEqual([]);
    expect(await cluster.readProblems(expected)).toEqual([]);

    const after = await copies(joinIds);
    const moved = [...after].filter((pair) => !before.has(pair)).length / after.size;
    console.info(
      `join: ${writes} writes and ${reads} reads during it; ${(moved * 100).toFixed(1)} % of the copies moved`,
    );
    expect(moved).toBeGreaterThan(0.15);
    expect(moved).toBeLessThan(0.4);
  }, 180_000);

  it('drain: DELETE of a live node moves everything off it and removes it; its heartbeats do not re-add it (410), a restart does', async () => {
    const victim = 'm-2';
    const bootId = (await cluster.listNodes()).find((node) => node.name === victim)?.bootId;
    expect(bootId, `${victim} announces a bootId`).toBeTruthy();
    expect((await cluster.recordsOn(victim)).length).toBeGreaterThan(0);

    const since = Date.now();
    const drain = await fetch(`${cluster.balancerUrl}/internal/nodes/${victim}`, { method: 'DELETE' });
    expect(drain.status).toBe(204);
    members = members.filter((name) => name !== victim);
    // Off the ring at once: no id names it as an owner any more.
    const owners = new Set<string>();
    for (const id of joinIds.slice(0, 50)) for (const owner of await cluster.ownersOf(id)) owners.add(owner);
    expect([...owners].sort()).toEqual([...members].sort());
    expect(await cluster.readProblems(expected), 'reads during the drain').toEqual([]);

    let listed = '';
    await waitFor(
      `${victim} to leave GET /internal/nodes once drained`,
      async () => {
        const nodes = await cluster.listNodes();
        listed = JSON.stringify(nodes.map(({ name, status, draining }) => ({ name, status, draining })));
        return nodes.some((node) => node.name === victim) ? undefined : true;
      },
      { timeoutMs: 60_000, seen: () => listed },
    );
    expect(await cluster.recordsOn(victim), `${victim} holds nothing once drained`).toEqual([]);
    await cluster.settle(since, members);
    expect(await cluster.placementProblems(expected)).toEqual([]);
    expect(await cluster.readProblems(expected)).toEqual([]);

    // A heartbeat of it (same name, address and bootId) is refused with 410; the node's own next heartbeat gets
    // the same answer (it logs the 410 at warn and stops announcing), and after that it is still not listed.
    const heartbeat = await fetch(`${cluster.balancerUrl}/internal/nodes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: victim,
        destination: { host: '127.0.0.1', port: cluster.node(victim).port },
        bootId,
      }),
    });
    expect(heartbeat.status).toBe(410);
    await waitFor(
      `${victim} to log the 410 its own heartbeat got`,
      () => Promise.resolve(cluster.node(victim).output().includes('"status":410') ? true : undefined),
      { timeoutMs: 15_000, seen: () => cluster.node(victim).output().slice(-2000) },
    );
    expect((await cluster.listNodes()).map((node) => node.name)).not.toContain(victim);

    // A restart (a new bootId) brings it back, and it gets its share again.
    await cluster.node(victim).kill();
    const restartedAt = Date.now();
    await cluster.node(victim).start();
    members = [...members, victim];
    await cluster.settle(restartedAt, members);
    const back = (await cluster.listNodes()).find((node) => node.name === victim);
    expect(back?.bootId).not.toBe(bootId);
    expect((await cluster.recordsOn(victim)).length).toBeGreaterThan(0);
    expect(await cluster.placementProblems(expected)).toEqual([]);
  }, 180_000);

  it('removing a dead node (kill -9, then DELETE) re-replicates its blobs from the surviving copies', async () => {
    const victim = 'm-3';
    await cluster.node(victim).kill();
    let listed = '';
    await waitFor(
      `${victim} to be marked unhealthy`,
      async () => {
        const nodes = await cluster.listNodes();
        listed = JSON.stringify(nodes.map(({ name, status }) => ({ name, status })));
        return nodes.find((node) => node.name === victim)?.status === 'unhealthy' ? true : undefined;
      },
      { timeoutMs: 30_000, seen: () => listed },
    );
    const since = Date.now();
    const removal = await fetch(`${cluster.balancerUrl}/internal/nodes/${victim}`, { method: 'DELETE' });
    expect(removal.status).toBe(204);
    members = members.filter((name) => name !== victim);
    expect((await cluster.listNodes()).map((node) => node.name).sort()).toEqual([...members].sort());
    expect(await cluster.readProblems(expected), 'reads right after the removal').toEqual([]);

    await cluster.settle(since, members);
    expect(await cluster.placementProblems(expected)).toEqual([]);
    expect(await cluster.readProblems(expected)).toEqual([]);
  }, 180_000);
});
