// The coalescing, invalidation and byte-budget guarantees, each with the order of events set by the test: the
// stub upstream holds every GET of an id until the test releases it, so no test depends on timing.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, type CacheStats } from '../src/cache/response-cache.js';
import { startCacheProxy, type RunningCacheProxy } from './support/cache-proxy.js';
import { startStubUpstream, type StubUpstream } from './support/stub-upstream.js';

async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

async function put(url: string, body: Buffer) {
  const response = await fetch(url, { method: 'PUT', body });
  await response.arrayBuffer();
  return response;
}

/** Waits for a condition that an event outside the test's reach (a request reaching the proxy) makes true. */
async function until(condition: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function stats(proxy: RunningCacheProxy): Promise<CacheStats> {
  return (await (await fetch(`${proxy.url}/internal/cache`)).json()) as CacheStats;
}

describe('the order of fills, refreshes and writes', () => {
  let stub: StubUpstream;
  let proxy: RunningCacheProxy;
  beforeEach(async () => {
    stub = await startStubUpstream();
    proxy = await startCacheProxy(stub.url);
  });
  afterEach(async () => {
    await proxy.close();
    await stub.close();
  });

  it('answers every GET collapsed into a fill from its one upstream request', async () => {
    const data = randomBytes(20_000);
    stub.blobs.set('hot', { body: data, headers: { 'content-type': 'application/octet-stream' } });
    const holder = stub.hold('hot');
    const leader = get(`${proxy.url}/blobs/hot`);
    const held = await holder.next();
    const others = Array.from({ length: 20 }, () => get(`${proxy.url}/blobs/hot`));
    await until(async () => (await stats(proxy)).collapsed === 20);
    held.release();
    const answers = [await leader, ...(await Promise.all(others))];
    expect(stub.count('GET', 'hot')).toBe(1);
    for (const { response, body } of answers) {
      expect(response.status).toBe(200);
      expect(body.equals(data)).toBe(true);
    }
    expect(answers[0]?.response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss; stored');
    for (const { response } of answers.slice(1)) {
      expect(response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss; collapsed');
    }
  });

  it('a GET sent after a PUT was acknowledged does not join the fill that read the old version', async () => {
    stub.blobs.set('doc', { body: Buffer.from('old'), headers: {} });
    const holder = stub.hold('doc');
    const oldRead = get(`${proxy.url}/blobs/doc`);
    const first = await holder.next(); // the stub has read "old"
    expect((await put(`${proxy.url}/blobs/doc`, Buffer.from('new'))).status).toBe(200);
    const newRead = get(`${proxy.url}/blobs/doc`);
    const second = await holder.next(); // a fill of its own: it reached upstream
    second.release();
    expect((await newRead).body.toString()).toBe('new');
    first.release();
    const old = await oldRead;
    expect(old.body.toString()).toBe('old');
    // Invalidated while in flight: it was not stored, and it does not say it was.
    expect(old.response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss');
    const after = await get(`${proxy.url}/blobs/doc`);
    expect(after.body.toString()).toBe('new');
    expect(after.response.headers.get('x-cache')).toBe('HIT');
  });

  it('an older fill that ends after a no-cache refresh does not overwrite it', async () => {
    stub.blobs.set('r', { body: Buffer.from('old'), headers: {} });
    const holder = stub.hold('r');
    const older = get(`${proxy.url}/blobs/r`);
    const first = await holder.next(); // read "old"
    stub.blobs.set('r', { body: Buffer.from('new'), headers: {} }); // changed behind the cache's back
    const refresh = get(`${proxy.url}/blobs/r`, { headers: { 'cache-control': 'no-cache' } });
    const second = await holder.next(); // read "new"
    second.release();
    const refreshed = await refresh;
    expect(refreshed.body.toString()).toBe('new');
    expect(refreshed.response.headers.get('cache-status')).toBe('rebase-cache; fwd=request; stored');
    first.release(); // the older fill ends last
    const old = await older;
    expect(old.body.toString()).toBe('old');
    expect(old.response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss');
    const hit = await get(`${proxy.url}/blobs/r`);
    expect(hit.response.headers.get('x-cache')).toBe('HIT');
    expect(hit.body.toString()).toBe('new');
  });

  it('says stored only when the entry was stored (a PURGE during the fill)', async () => {
    stub.blobs.set('p', { body: Buffer.from('bytes'), headers: {} });
    const holder = stub.hold('p', 'midway');
    const read = get(`${proxy.url}/blobs/p`);
    const held = await holder.next(); // headers and half the body have left the stub
    expect((await fetch(`${proxy.url}/blobs/p`, { method: 'PURGE' })).status).toBe(204);
    held.release();
    const { response, body } = await read;
    expect(body.toString()).toBe('bytes');
    expect(response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss');
    expect((await stats(proxy)).items).toBe(0);
  });
});

describe('one byte budget for the entries and the fills in flight', () => {
  let stub: StubUpstream;
  let proxy: RunningCacheProxy;
  const size = 100 * 1024;
  // Room for one 100 KiB fill or entry, not two.
  const limit = Math.floor(1.5 * (size + ENTRY_OVERHEAD_BYTES));
  beforeEach(async () => {
    stub = await startStubUpstream();
    proxy = await startCacheProxy(stub.url, { CACHE_MAX_BYTES: limit, CACHE_MAX_ENTRY_BYTES: 1024 * 1024 });
    for (const id of ['x', 'y', 'z']) stub.blobs.set(id, { body: randomBytes(size), headers: {} });
  });
  afterEach(async () => {
    await proxy.close();
    await stub.close();
  });

  it('a fill reserves its bytes; one the budget cannot hold streams through, uncached', async () => {
    const holdX = stub.hold('x', 'midway');
    const holdY = stub.hold('y', 'midway');
    const readX = get(`${proxy.url}/blobs/x`);
    const heldX = await holdX.next();
    await until(async () => (await stats(proxy)).fillBytes > size);
    // x's reservation leaves too little for y: y streams through, its headers at once, and is not kept.
    const readY = fetch(`${proxy.url}/blobs/y`);
    const heldY = await holdY.next();
    const y = await readY;
    expect(y.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss');
    const during = await stats(proxy);
    expect(during.bytes + during.fillBytes).toBeLessThanOrEqual(limit);
    heldY.release();
    expect((await y.arrayBuffer()).byteLength).toBe(size);
    heldX.release();
    const x = await readX;
    expect(x.response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss; stored');
    expect(await stats(proxy)).toMatchObject({ items: 1, fillBytes: 0 });
  });

  it('a fill evicts least recently used entries to make room for its copy', async () => {
    await get(`${proxy.url}/blobs/x`);
    expect((await stats(proxy)).items).toBe(1);
    const holdZ = stub.hold('z', 'midway');
    const readZ = get(`${proxy.url}/blobs/z`);
    const held = await holdZ.next();
    await until(async () => (await stats(proxy)).fillBytes > 0);
    // x made room for z's copy while z is still arriving.
    expect(await stats(proxy)).toMatchObject({ items: 0, evictions: 1 });
    held.release();
    expect((await readZ).response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss; stored');
  });
});
