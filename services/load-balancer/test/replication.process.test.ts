// Replication end to end with real processes, in the spirit of Swift's probe tests: a balancer (R = 2) and three
// blob servers, each its own process. A node is killed with SIGKILL while blobs are read, written, overwritten and
// deleted through the balancer; every read must be right at once (no waiting for the health checker), and once the
// node is back and the rebalancer has finished a pass, every blob must be on exactly its owners — checked on each
// node directly — with the newest version, deleted blobs as tombstones carrying X-Blob-Version. Then the
// balancer itself is killed with SIGKILL: restarted, it relearns the nodes from their heartbeats and serves
// every blob, and a write after the restart wins over the one before; and a stand-in's copies still reach a node
// that was down across the balancer's restart (the restarted balancer never knew of them).
//
// One cluster for the file; each test uses its own ids and starts from every node up.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ProcessCluster,
  forEachLimit,
  md5Etag,
  type Expected,
  type NodeRecord,
} from './support/processes.js';

const NODES = ['blob-1', 'blob-2', 'blob-3'];
let cluster: ProcessCluster;
/** every id this file wrote, and what it must read as */
const expected = new Map<string, Expected>();

beforeAll(async () => {
  // Health checks every second: a killed node is marked unhealthy only after ~3 s, so the reads right after a
  // kill reach it and must fail over on the connection error itself.
  cluster = await ProcessCluster.start({ label: 'replication', nodes: NODES, healthIntervalMs: 1000 });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
}, 30_000);

beforeEach(async ({ onTestFailed }) => {
  onTestFailed(() => console.error(`process output:\n${cluster.logTail()}`));
  // An earlier failure may have left a node down; each test starts from the whole cluster.
  for (const node of cluster.nodes.values()) if (!node.isRunning) await node.start();
  if (!cluster.balancer.isRunning) await cluster.balancer.start();
  await cluster.waitForNodes(NODES, 'every node up before the test');
});

/** A body that names its id and version, then random bytes; every tenth is 200 KiB, to stream for real. */
function blobFor(label: string, index: number): Buffer {
  const size = index % 10 === 9 ? 200 * 1024 : 200 + Math.floor(Math.random() * 6000);
  return Buffer.concat([Buffer.from(`${label}\n`), randomBytes(size)]);
}

/** Writes through the balancer; returns one line per write that was not acknowledged. */
async function writeAll(writes: Array<[string, Buffer]>): Promise<string[]> {
  const refused: string[] = [];
  await forEachLimit(writes, 4, async ([id, bytes]) => {
    const { status, detail } = await cluster.put(id, bytes);
    if (status === 200 || status === 201) expected.set(id, { kind: 'blob', bytes });
    else refused.push(`PUT ${id}: ${status} ${detail}`);
  });
  return refused;
}

async function deleteAll(ids: string[]): Promise<string[]> {
  const refused: string[] = [];
  await forEachLimit(ids, 4, async (id) => {
    const { status, detail } = await cluster.delete(id);
    if (status === 204) expected.set(id, { kind: 'deleted' });
    else refused.push(`DELETE ${id}: ${status} ${detail}`);
  });
  return refused;
}

const subset = (ids: Iterable<string>) =>
  new Map([...ids].map((id) => [id, expected.get(id) as Expected] as const));

async function recordsByNode(names: string[]): Promise<Map<string, Map<string, NodeRecord>>> {
  const byNode = new Map<string, Map<string, NodeRecord>>();
  for (const name of names) {
    byNode.set(name, new Map((await cluster.recordsOn(name)).map((record) => [record.id, record])));
  }
  return byNode;
}

describe('three nodes, R = 2, real processes', () => {
  it('kill -9 of a node: every blob reads back at once and writes keep succeeding; after its restart each blob is on exactly its owners', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `t1-${i}`);
    expect(await writeAll(ids.map((id, i) => [id, blobFor(id, i)]))).toEqual([]);

    const victim = 'blob-2';
    const owners = new Map<string, string[]>();
    for (const id of ids) owners.set(id, await cluster.ownersOf(id));
    // The victim's first-owned blobs are read first, while the balancer still believes the node is healthy.
    const readOrder = [...ids].sort(
      (a, b) => Number(owners.get(b)?.[0] === victim) - Number(owners.get(a)?.[0] === victim),
    );
    expect(readOrder.filter((id) => owners.get(id)?.[0] === victim).length).toBeGreaterThan(5);

    await cluster.node(victim).kill();
    const unreadable: string[] = [];
    for (const id of readOrder) {
      const problem = await cluster.readProblem(id, expected.get(id) as Expected);
      if (problem) unreadable.push(problem);
    }
    expect(unreadable, 'reads right after the kill').toEqual([]);
    const seenAs = (await cluster.listNodes()).find((node) => node.name === victim)?.status;
    console.info(`after ${readOrder.length} reads the balancer lists the killed ${victim} as ${seenAs}`);

    // New ids and overwrites while the node is down: a stand-in takes each copy the victim would have had.
    const writtenWhileDown: Array<[string, Buffer]> = [
      ...Array.from({ length: 20 }, (_, i): [string, Buffer] => [`t1-new-${i}`, blobFor(`t1-new-${i}`, i)]),
      ...ids.slice(0, 20).map((id, i): [string, Buffer] => [id, blobFor(`${id} overwritten`, i)]),
    ];
    expect(await writeAll(writtenWhileDown), 'writes while a node is down').toEqual([]);
    const live = NODES.filter((name) => name !== victim);
    const held = await recordsByNode(live);
    const notOnBoth = writtenWhileDown.flatMap(([id, bytes]) => {
      const copies = live.map((name) => held.get(name)?.get(id));
      const ok = copies.every(
        (copy) =>
          copy && !copy.deleted && copy.etag === md5Etag(bytes) && copy.version === copies[0]?.version,
      );
      return ok ? [] : [`${id}: ${JSON.stringify(copies)}`];
    });
    expect(notOnBoth, 'each write while down is on both live nodes, same version').toEqual([]);

    const since = Date.now();
    await cluster.node(victim).start();
    await cluster.settle(since, NODES);
    const written = subset([...ids, ...writtenWhileDown.map(([id]) => id)]);
    expect(await cluster.placementProblems(expected)).toEqual([]);
    expect(await cluster.readProblems(written)).toEqual([]);
  }, 180_000);

  it('deletes and overwrites while an owner is down: nothing deleted comes back, no old version is ever read, owners hold tombstones with X-Blob-Version', async () => {
    const victim = 'blob-3';
    const candidates = Array.from({ length: 120 }, (_, i) => `t2-${i}`);
    const ids: string[] = [];
    for (const id of candidates) if ((await cluster.ownersOf(id)).includes(victim)) ids.push(id);
    expect(ids.length).toBeGreaterThan(45);
    expect(await writeAll(ids.map((id, i) => [id, blobFor(id, i)]))).toEqual([]);

    const third = Math.floor(ids.length / 3);
    const deleted = ids.slice(0, third);
    const overwritten = ids.slice(third, 2 * third);
    const deletedThenWritten = ids.slice(2 * third);
    await cluster.node(victim).kill();
    expect(await deleteAll([...deleted, ...deletedThenWritten]), 'deletes while down').toEqual([]);
    expect(
      await writeAll([...overwritten, ...deletedThenWritten].map((id, i) => [id, blobFor(`${id} v2`, i)])),
      'overwrites while down',
    ).toEqual([]);

    // From before the node is back until the rebalancer is done with it, every read gives the newest state.
    const stale: string[] = [];
    let rounds = 0;
    let reading = true;
    const restartedAt = Date.now();
    // Two readers, one walking the ids forwards and one backwards, so each id is read often while the node returns.
    const readerOf = (order: string[]) => async () => {
      while (reading) {
        for (const id of order) {
          const problem = await cluster.readProblem(id, expected.get(id) as Expected);
          if (problem) stale.push(`${Date.now() - restartedAt} ms after the restart: ${problem}`);
        }
        rounds += 1;
      }
    };
    const reader = Promise.all([readerOf(ids)(), readerOf([...ids].reverse())()]);
    try {
      await cluster.node(victim).start();
      await cluster.settle(restartedAt, NODES);
    } finally {
      reading = false;
      await reader;
    }
    expect(stale.slice(0, 20), `${stale.length} stale reads in ${rounds} rounds`).toEqual([]);
    expect(rounds).toBeGreaterThan(0);
    console.info(`${rounds} rounds of ${ids.length} reads from the restart until the cluster settled`);
    expect(await cluster.placementProblems(expected)).toEqual([]);
    expect(await cluster.readProblems(subset(ids))).toEqual([]);

    // Each deleted id: a 404 carrying the tombstone's version on every owner, a plain 404 elsewhere.
    const held = await recordsByNode(NODES);
    const tombstoneProblems: string[] = [];
    for (const id of deleted) {
      const owners = await cluster.ownersOf(id);
      for (const name of NODES) {
        const response = await fetch(`${cluster.node(name).url}/blobs/${id}`, { method: 'HEAD' });
        const version = response.headers.get('x-blob-version');
        const record = held.get(name)?.get(id);
        const want = owners.includes(name) ? String(record?.version) : null;
        if (response.status !== 404 || version !== want || (owners.includes(name) && !record?.deleted)) {
          tombstoneProblems.push(
            `${id} on ${name}: HEAD ${response.status} X-Blob-Version ${version}, expected 404 with ${want}`,
          );
        }
      }
    }
    expect(tombstoneProblems).toEqual([]);
  }, 180_000);

  it('kill -9 of the balancer: restarted, it knows every node again from their heartbeats and serves every blob; a write after the restart wins', async () => {
    const before = await recordsByNode(NODES);
    const overwrite = [...expected]
      .filter(([, want]) => want.kind === 'blob')
      .slice(0, 10)
      .map(([id]) => id);
    expect(overwrite.length).toBe(10);

    // Without its MEMBERSHIP_FILE (the other restarts below keep it), the heartbeats alone must rebuild the registry.
    await rm(path.join(cluster.dataDir, 'balancer', 'membership.json'));
    const restartedAt = Date.now();
    await cluster.restartBalancer();
    const listening = Date.now();
    await cluster.waitForNodes(
      NODES,
      'the restarted balancer to relearn the cluster from heartbeats',
      20_000,
    );
    console.info(
      `the restarted balancer listened ${listening - restartedAt} ms after the kill and listed every node ${Date.now() - listening} ms later`,
    );
    expect(await cluster.readProblems(expected), 'every blob served after the restart').toEqual([]);

    expect(await writeAll(overwrite.map((id, i) => [id, blobFor(`${id} after the restart`, i)]))).toEqual([]);
    expect(await cluster.readProblems(subset(overwrite))).toEqual([]);
    await cluster.settle(restartedAt, NODES);
    expect(await cluster.placementProblems(expected)).toEqual([]);
    const after = await recordsByNode(NODES);
    const notNewer: string[] = [];
    for (const id of overwrite) {
      for (const name of await cluster.ownersOf(id)) {
        const old = Math.max(...NODES.map((node) => before.get(node)?.get(id)?.version ?? 0));
        const now = after.get(name)?.get(id)?.version ?? 0;
        if (!(now > old)) notNewer.push(`${id} on ${name}: v${now} after the restart, v${old} before`);
      }
    }
    expect(notNewer).toEqual([]);
  }, 180_000);

  it('a restarted balancer that has heard from only some nodes never answers 404 for a blob that exists', async () => {
    const readable = [...expected].filter(([, want]) => want.kind === 'blob').map(([id]) => id);
    const late = ['blob-1', 'blob-3'];
    const onlyLate: string[] = [];
    for (const id of readable)
      if ((await cluster.ownersOf(id)).every((owner) => late.includes(owner))) onlyLate.push(id);
    expect(onlyLate.length).toBeGreaterThan(5);

    // Two nodes stop answering (SIGSTOP) just as the balancer restarts: it knows all three from MEMBERSHIP_FILE,
    // but only blob-2 passes a health check. The blobs only the other two hold cannot be found now: 503 is an
    // honest answer, 404 ("no such blob") is not.
    for (const name of late) cluster.node(name).pause();
    try {
      await cluster.restartBalancer();
      const listed = await cluster.waitForHealthy(['blob-2'], 'the restarted balancer to see blob-2', 20_000);
      expect(listed.map((node) => node.name).sort()).toEqual(NODES);
      const answers: string[] = [];
      for (const id of onlyLate) answers.push(`${id}: ${(await cluster.get(id)).status}`);
      expect(answers.filter((answer) => answer.endsWith(': 404'))).toEqual([]);
    } finally {
      for (const name of late) cluster.node(name).resume();
    }
    await cluster.waitForNodes(NODES, 'the late nodes to announce themselves');
    expect(await cluster.readProblems(expected)).toEqual([]);
  }, 180_000);

  it('handoff survives a balancer restart: copies a stand-in took for a dead node reach it when it returns to a restarted balancer', async () => {
    const victim = 'blob-1';
    const ids = Array.from({ length: 40 }, (_, i) => `t4-${i}`);
    await cluster.node(victim).kill();
    expect(await writeAll(ids.map((id, i) => [id, blobFor(id, i)])), 'writes while a node is down').toEqual(
      [],
    );

    // The restarted balancer knows the dead node from MEMBERSHIP_FILE only; it never sees it healthy until it returns.
    await cluster.restartBalancer();
    const live = NODES.filter((name) => name !== victim);
    await cluster.waitForHealthy(live, 'the restarted balancer to see the live nodes', 20_000);
    expect(await cluster.readProblems(expected), 'every blob served by the two live nodes').toEqual([]);

    const returnedAt = Date.now();
    await cluster.node(victim).start();
    await cluster.settle(returnedAt, NODES);
    expect(await cluster.placementProblems(expected)).toEqual([]);
    expect(await cluster.readProblems(expected)).toEqual([]);
  }, 180_000);
});
