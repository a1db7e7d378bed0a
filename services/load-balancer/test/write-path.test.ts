// Writes and deletes through BlobProxy against fake nodes whose answers each test decides: the 409 that makes the
// balancer restamp and retry with the body still unread, a target that refuses connections replaced by a stand-in,
// a quorum that is not met, and the same refusal from every target relayed as it is.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  answer,
  harness,
  settle,
  startFakeNode,
  storeAnything,
  upload,
  upstreamRequest,
  type FakeNode,
  type Harness,
} from './support/fake-nodes.js';

const ID = 'replicated-blob';
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
  const spare = nodes.find((node) => !placement.owners.includes(node.name));
  return { h, placement, first, second, spare };
}

async function put(h: Harness, bytes: Buffer) {
  const placement = h.placement(ID);
  const source = upload(bytes);
  const outcome = await h.proxy.write(ID, placement, upstreamRequest('PUT', ID, source.body, source.headers));
  return { result: await settle(outcome), read: source.read };
}

describe('writes with R = 2', () => {
  it('stores the body on both owners, with one version, and answers 201 from the first owner', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    const bytes = randomBytes(300_000);
    const { result } = await put(h, bytes);
    expect(result).toMatchObject({ kind: 'answered', status: 201, node: first.name });
    for (const owner of [first, second]) {
      expect(owner.seen).toHaveLength(1);
      expect(owner.seen[0]?.headers.expect).toBe('100-continue');
      expect(owner.seen[0]?.body.equals(bytes)).toBe(true);
    }
    expect(first.seen[0]?.headers['x-blob-version']).toBe(second.seen[0]?.headers['x-blob-version']);
  });

  it('restamps above a 409 and retries with the body intact, which no node had seen', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    const held = Date.now() * 1000 + 60_000_000; // a minute ahead of this balancer's clock
    let refused = false;
    first.handle = (exchange) => {
      if (refused) return storeAnything(exchange);
      refused = true;
      answer(exchange.response, 409, { title: 'Conflict' }, { 'x-blob-version': String(held) });
    };
    const bytes = randomBytes(200_000);
    const { result } = await put(h, bytes);

    expect(result).toMatchObject({ kind: 'answered', status: 201 });
    expect(h.metrics.versionConflict).toHaveBeenCalledTimes(1);
    // First try: refused before the body by one owner, the other was ready but never sent a byte.
    expect(first.seen[0]?.body.length).toBe(0);
    expect(second.seen[0]?.continued).toBe(true);
    expect(second.seen[0]?.body.length).toBe(0);
    // Second try: stamped above the version the node holds, and the whole body reached both owners.
    for (const owner of [first, second]) {
      expect(owner.seen).toHaveLength(2);
      expect(Number(owner.seen[1]?.headers['x-blob-version'])).toBeGreaterThan(held);
      expect(owner.seen[1]?.body.equals(bytes)).toBe(true);
    }
  });

  it('answers 503 (never the nodes’ 409) after three conflicts in a row, without reading the body', async () => {
    const { h, first } = await cluster(['a', 'b', 'c']);
    let held = Date.now() * 1000 + 60_000_000;
    first.handle = ({ response }) => {
      held += 1_000_000; // another writer keeps getting ahead
      answer(response, 409, { title: 'Conflict' }, { 'x-blob-version': String(held) });
    };
    const { result, read } = await put(h, randomBytes(100_000));
    expect(h.metrics.versionConflict).toHaveBeenCalledTimes(3);
    expect(first.seen).toHaveLength(3);
    expect(result).toMatchObject({ kind: 'failed', status: 503 });
    if (result.kind === 'failed') expect(result.detail).toContain('the newer one wins: retrying it is safe');
    expect(read()).toBe(0);
  });

  it('replaces an owner that refuses connections with the next stand-in before the body starts', async () => {
    const { h, first, second, spare } = await cluster(['a', 'b', 'c']);
    await first.close(); // still healthy in the registry: only the connection tells
    const missed = vi.spyOn(h.registry, 'missedWrite');
    const bytes = randomBytes(200_000);
    const { result } = await put(h, bytes);

    expect(result).toMatchObject({ kind: 'answered', status: 201, node: spare?.name });
    expect(spare?.seen[0]?.body.equals(bytes)).toBe(true);
    expect(second.seen[0]?.body.equals(bytes)).toBe(true);
    expect(missed).toHaveBeenCalledWith(first.name);
    expect(missed).not.toHaveBeenCalledWith(second.name);
    expect(h.rebalance.noteHandoff).toHaveBeenCalledWith(ID, spare?.name);
  });

  it('replaces an owner that answers 503 before the body, but not one that answers 507 (it is full)', async () => {
    const { h, first, second, spare } = await cluster(['a', 'b', 'c']);
    first.handle = ({ response }) => answer(response, 503, { title: 'Service Unavailable' });
    const bytes = randomBytes(50_000);
    expect((await put(h, bytes)).result).toMatchObject({ kind: 'answered', status: 201 });
    expect(spare?.seen[0]?.body.equals(bytes)).toBe(true);

    first.handle = storeAnything;
    second.handle = ({ response }) => answer(response, 507, { title: 'Insufficient Storage' });
    // The other owner was ready, but a quorum of 2 cannot be met: the full node's refusal is the answer.
    const { result, read } = await put(h, bytes);
    expect(result).toMatchObject({ kind: 'answered', status: 507, node: second.name });
    expect(spare?.seen).toHaveLength(1);
    expect(read()).toBe(0);
  });

  it('answers 502, saying the write may or may not be stored, when fewer than WRITE_QUORUM nodes store it', async () => {
    const { h, first, second } = await cluster(['a', 'b']); // no stand-in to replace anyone
    second.handle = async (exchange) => {
      await exchange.accept();
      exchange.response.destroy(); // took the body, then died before answering
    };
    const missed = vi.spyOn(h.registry, 'missedWrite');
    const { result } = await put(h, randomBytes(100_000));

    expect(result.kind).toBe('failed');
    if (result.kind !== 'failed') return;
    expect(result.status).toBe(502);
    expect(result.detail).toContain('reached 1 of the 2 nodes');
    expect(result.detail).toContain(second.name);
    expect(result.detail).toContain('may or may not have been stored: retrying it is safe');
    expect(first.seen[0]?.complete).toBe(true);
    expect(missed).toHaveBeenCalledWith(second.name);
  });

  it('acknowledges at WRITE_QUORUM = 1 when one of two owners fails, and names the owner that missed it', async () => {
    const { h, second } = await cluster(['a', 'b'], { writeQuorum: 1 });
    second.handle = ({ response }) => answer(response, 500, { title: 'Internal Server Error' });
    const missed = vi.spyOn(h.registry, 'missedWrite');
    const { result } = await put(h, randomBytes(10_000));
    expect(result).toMatchObject({ kind: 'answered', status: 201 });
    expect(missed).toHaveBeenCalledWith(second.name);
  });

  it('relays the same 4xx from every target unchanged, without reading the body', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    for (const owner of [first, second]) {
      owner.handle = ({ response }) =>
        answer(response, 413, { title: 'Payload Too Large', detail: `too big for ${owner.name}` });
    }
    const missed = vi.spyOn(h.registry, 'missedWrite');
    const { result, read } = await put(h, randomBytes(100_000));
    expect(result).toMatchObject({ kind: 'answered', status: 413, node: first.name });
    if (result.kind !== 'answered') return;
    expect(JSON.parse(result.text)).toMatchObject({ detail: `too big for ${first.name}` });
    expect(read()).toBe(0);
    expect(missed).not.toHaveBeenCalled();
  });

  it('answers 503 when the nodes refuse with 409 after the body (a newer change arrived meanwhile)', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    for (const owner of [first, second]) {
      owner.handle = async (exchange) => {
        await exchange.accept();
        answer(
          exchange.response,
          409,
          { title: 'Conflict' },
          { 'x-blob-version': String(Date.now() * 1000 + 1e9) },
        );
      };
    }
    const { result } = await put(h, randomBytes(10_000));
    expect(result).toMatchObject({ kind: 'failed', status: 503 });
    expect(h.metrics.versionConflict).toHaveBeenCalledTimes(1);
  });

  it('reports both owners as behind when the client leaves after its whole body was sent', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    const bothHaveIt = Promise.all(
      [first, second].map(
        (owner) =>
          new Promise<void>((resolve) => {
            owner.handle = async (exchange) => {
              await exchange.accept();
              resolve(); // and never answers: the client leaves first
            };
          }),
      ),
    );
    const missed = vi.spyOn(h.registry, 'missedWrite');
    const source = upload(randomBytes(50_000));
    const request = upstreamRequest('PUT', ID, source.body, source.headers);
    const outcome = h.proxy.write(ID, h.placement(ID), request);
    await bothHaveIt;
    request.abort();
    expect(await outcome).toEqual({ kind: 'client-gone' });
    expect(missed).toHaveBeenCalledWith(first.name);
    expect(missed).toHaveBeenCalledWith(second.name);
  });

  it('answers 503 without sending anything when fewer healthy nodes than WRITE_QUORUM remain', async () => {
    const { h, first, second } = await cluster(['a', 'b']);
    const member = h.registry.get(second.name);
    for (let i = 0; i < 3; i += 1) h.registry.recordCheck(second.name, member?.generation ?? 0, 'down');
    const { result, read } = await put(h, randomBytes(1000));
    expect(result).toMatchObject({ kind: 'failed', status: 503 });
    expect(first.seen).toHaveLength(0);
    expect(read()).toBe(0);
  });
});

describe('deletes with R = 2', () => {
  const del = async (h: Harness) =>
    settle(await h.proxy.write(ID, h.placement(ID), upstreamRequest('DELETE', ID)));

  it('restamps above a 409 and answers 204 once both owners applied it', async () => {
    const { h, first, second } = await cluster(['a', 'b', 'c']);
    const held = Date.now() * 1000 + 60_000_000;
    let refused = false;
    second.handle = (exchange) => {
      if (refused) return storeAnything(exchange);
      refused = true;
      answer(exchange.response, 409, { title: 'Conflict' }, { 'x-blob-version': String(held) });
    };
    const result = await del(h);
    expect(result).toMatchObject({ kind: 'answered', status: 204, node: first.name });
    expect(h.metrics.versionConflict).toHaveBeenCalledTimes(1);
    expect(Number(second.seen[1]?.headers['x-blob-version'])).toBeGreaterThan(held);
    expect(first.seen[1]?.headers['x-blob-version']).toBe(second.seen[1]?.headers['x-blob-version']);
  });

  it('sends the delete to a stand-in when an owner cannot be reached', async () => {
    const { h, first, second, spare } = await cluster(['a', 'b', 'c']);
    await second.close();
    const result = await del(h);
    expect(result).toMatchObject({ kind: 'answered', status: 204, node: first.name });
    expect(spare?.seen.map((seen) => seen.method)).toEqual(['DELETE']);
    expect(h.rebalance.noteHandoff).toHaveBeenCalledWith(ID, spare?.name);
  });
});
