// Reads through BlobProxy against fake nodes holding chosen versions: the compare path (the cluster is not
// settled) returns the newest copy, lets a tombstone win a tie, finds a copy only a draining node still holds, and
// asks for repairs; the fast path (everyone in sync) fails over at once from an owner that cannot be reached.
import { afterEach, describe, expect, it } from 'vitest';
import {
  harness,
  holding,
  markAllInSync,
  settle,
  startFakeNode,
  tombstone,
  upstreamRequest,
  type FakeNode,
  type Harness,
} from './support/fake-nodes.js';

const ID = 'read-me';
let nodes: FakeNode[] = [];
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  await Promise.all(nodes.map((node) => node.close()));
  nodes = [];
  h = undefined;
});

async function cluster(names: string[], options: Parameters<typeof harness>[1] = {}) {
  nodes = await Promise.all(names.map((name) => startFakeNode(name)));
  h = harness(nodes, options);
  const placement = h.placement(ID);
  const byName = (name: string) => nodes.find((node) => node.name === name) as FakeNode;
  const [first, second] = placement.owners.map(byName) as [FakeNode, FakeNode];
  const others = nodes.filter((node) => !placement.owners.includes(node.name));
  return { h, first, second, others };
}

const get = async (h: Harness, headers: Record<string, string> = {}) =>
  settle(await h.proxy.read(ID, h.placement(ID), upstreamRequest('GET', ID, undefined, headers)));

describe('the compare path (the cluster is not settled)', () => {
  it('returns the newest version whichever owner holds it, and asks for the stale owner to be repaired', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    first.handle = holding(100, 'old bytes');
    second.handle = holding(200, 'new bytes');
    const result = await get(h, { 'if-none-match': '"x"' });
    expect(result).toMatchObject({ kind: 'answered', status: 200, node: second.name, text: 'new bytes' });
    expect(h.rebalance.repair).toHaveBeenCalledWith(ID);
    // Versions are compared with plain HEADs; the client's own request (conditionals included) goes to the holder.
    expect(first.seen.map((seen) => seen.method)).toEqual(['HEAD']);
    expect(first.seen[0]?.headers['if-none-match']).toBeUndefined();
    expect(second.seen.map((seen) => seen.method)).toEqual(['HEAD', 'GET']);
    expect(second.seen[1]?.headers['if-none-match']).toBe('"x"');
  });

  it('lets a tombstone win against data of the same version, relaying the 404 with its version', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    first.handle = holding(300, 'deleted bytes');
    second.handle = tombstone(300);
    const result = await get(h);
    expect(result).toMatchObject({ kind: 'answered', status: 404, node: second.name });
    if (result.kind === 'answered') expect(result.headers['x-blob-version']).toBe('300');
    expect(h.rebalance.repair).toHaveBeenCalledWith(ID);
  });

  it('returns a newer delete rather than an older copy held by a stand-in', async () => {
    const { h, first, second, others } = await cluster(['a', 'b', 'c']);
    first.handle = tombstone(500);
    second.handle = tombstone(500);
    for (const other of others) other.handle = holding(400, 'resurrected?');
    const result = await get(h);
    expect(result).toMatchObject({ kind: 'answered', status: 404 });
    expect(h.rebalance.repair).not.toHaveBeenCalled();
  });

  it('asks the other nodes, a draining one included, when no owner or stand-in has any record', async () => {
    const { h, first, second, others } = await cluster(['a', 'b', 'c']);
    const [leaving] = others as [FakeNode];
    leaving.handle = holding(700, 'still on the old owner');
    h.registry.drain(leaving.name); // off the ring; the owners are unchanged, with no stand-in left
    const result = await get(h);
    expect(result).toMatchObject({
      kind: 'answered',
      status: 200,
      node: leaving.name,
      text: 'still on the old owner',
    });
    expect(first.seen.map((seen) => seen.method)).toEqual(['HEAD']);
    expect(second.seen.map((seen) => seen.method)).toEqual(['HEAD']);
    expect(h.rebalance.repair).toHaveBeenCalledWith(ID);
  });

  it('answers 404 when no node has a record and fewer than WRITE_QUORUM nodes are out of reach', async () => {
    const { h, first } = await cluster(['a', 'b', 'c']); // WRITE_QUORUM 2: a copy survives one lost node
    await first.close();
    expect(await get(h)).toMatchObject({ kind: 'answered', status: 404 });
  });

  it('answers 503 instead of 404 when the only acknowledged copy may sit on a node out of reach', async () => {
    const { h, first } = await cluster(['a', 'b', 'c'], { writeQuorum: 1 });
    await first.close();
    const result = await get(h);
    expect(result).toMatchObject({ kind: 'failed', status: 503 });
    if (result.kind === 'failed') expect(result.detail).toContain(`${first.name} is down and may hold`);
  });

  it('answers 503 naming the owners when no node can be reached', async () => {
    const { h, first, second, others } = await cluster(['a', 'b', 'c']);
    await Promise.all([first, second, ...others].map((node) => node.close()));
    const result = await get(h);
    expect(result).toMatchObject({ kind: 'failed', status: 503 });
    if (result.kind === 'failed')
      expect(result.detail).toContain(`its owners are ${first.name}, ${second.name}`);
  });
});

describe('the fast path (every owner healthy and in sync, nothing moving)', () => {
  it('fails over at once from an owner that cannot be reached to the next owner', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    markAllInSync(h.registry);
    await first.close(); // the registry still thinks it is healthy
    second.handle = holding(100, 'bytes');
    const result = await get(h);
    expect(result).toMatchObject({ kind: 'answered', status: 200, node: second.name, text: 'bytes' });
    expect(second.seen.map((seen) => seen.method)).toEqual(['GET']);
  });

  it('fails over from an owner that answers 5xx', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    markAllInSync(h.registry);
    first.handle = ({ response }) => {
      response.writeHead(500).end();
    };
    second.handle = holding(100, 'bytes');
    expect(await get(h)).toMatchObject({ kind: 'answered', status: 200, node: second.name, text: 'bytes' });
  });

  it("takes the first owner's answer as final, without comparing", async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    markAllInSync(h.registry);
    first.handle = holding(100, 'first');
    second.handle = holding(200, 'second');
    expect(await get(h)).toMatchObject({ kind: 'answered', node: first.name, text: 'first' });
    expect(second.seen).toHaveLength(0);
  });

  it('reads from the owner that is in sync, never from one still catching up', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    const behind = h.registry.get(second.name);
    if (behind) h.registry.markInSync(behind.name, behind.epoch);
    first.handle = holding(100, 'first: missed the newer write while it was down');
    second.handle = holding(200, 'second');
    expect(await get(h)).toMatchObject({ kind: 'answered', node: second.name, text: 'second' });
    expect(first.seen).toHaveLength(0);
  });

  it('compares once a node leaves the ring, since the owners after it do not hold its ids yet', async () => {
    const { h, first, second, others } = await cluster(['a', 'b', 'c']);
    markAllInSync(h.registry);
    h.registry.drain((others[0] as FakeNode).name);
    first.handle = holding(100, 'first');
    second.handle = holding(200, 'second');
    expect(await get(h)).toMatchObject({ kind: 'answered', node: second.name, text: 'second' });
  });
});
