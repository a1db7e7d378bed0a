import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBlobServer, type TestBlobServer } from 'blob-server/testing';
import { ENTRY_OVERHEAD_BYTES } from '../src/cache/response-cache.js';
import { startCacheProxy, type RunningCacheProxy } from './support/cache-proxy.js';
import { startStubUpstream, type StubUpstream } from './support/stub-upstream.js';

async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

async function put(url: string, body: Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'PUT', body, headers });
  await response.arrayBuffer();
  return response;
}

describe('cache proxy in front of a real blob server', () => {
  let blobs: TestBlobServer;
  let proxy: RunningCacheProxy;
  beforeAll(async () => {
    blobs = await startBlobServer({ settings: { FSYNC: false } });
    proxy = await startCacheProxy(blobs.url);
  });
  afterAll(async () => {
    await proxy.close();
    await blobs.close();
  });

  it('answers a miss and then a hit with the same bytes and stored headers', async () => {
    const data = randomBytes(50_000);
    const written = await put(`${proxy.url}/blobs/bin`, data, {
      'content-type': 'image/png',
      'x-rebase-owner': 'ada',
    });
    expect(written.status).toBe(201);

    const miss = await get(`${proxy.url}/blobs/bin`);
    expect(miss.response.status).toBe(200);
    expect(miss.response.headers.get('x-cache')).toBe('MISS');
    expect(miss.response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss; stored');
    expect(miss.body.equals(data)).toBe(true);

    const hit = await get(`${proxy.url}/blobs/bin`);
    expect(hit.response.status).toBe(200);
    expect(hit.response.headers.get('x-cache')).toBe('HIT');
    expect(hit.response.headers.get('cache-status')).toBe('rebase-cache; hit');
    expect(hit.response.headers.get('age')).toMatch(/^\d+$/);
    expect(hit.body.equals(data)).toBe(true);
    for (const name of ['content-type', 'x-rebase-owner', 'etag', 'content-length', 'last-modified']) {
      expect(hit.response.headers.get(name), name).toBe(miss.response.headers.get(name));
    }
    expect(hit.response.headers.get('content-type')).toBe('image/png');
    expect(hit.response.headers.get('x-rebase-owner')).toBe('ada');

    const head = await fetch(`${proxy.url}/blobs/bin`, { method: 'HEAD' });
    expect(head.headers.get('x-cache')).toBe('HIT');
    expect(head.headers.get('content-length')).toBe(String(data.length));

    const etag = hit.response.headers.get('etag') ?? '';
    // undici's request, not fetch: fetch adds Cache-Control: no-cache to a conditional request, as browsers do.
    const conditional = await request(`${proxy.url}/blobs/bin`, { headers: { 'if-none-match': etag } });
    await conditional.body.dump();
    expect(conditional.statusCode).toBe(304);
    expect(conditional.headers['x-cache']).toBe('HIT');
    expect(conditional.headers.etag).toBe(etag);
  });

  it('does not cache a 404', async () => {
    const first = await get(`${proxy.url}/blobs/nothing-here`);
    const second = await get(`${proxy.url}/blobs/nothing-here`);
    expect([first.response.status, second.response.status]).toEqual([404, 404]);
    expect(second.response.headers.get('x-cache')).toBe('MISS');
  });

  it('serves the new bytes after a PUT and nothing after a DELETE', async () => {
    await put(`${proxy.url}/blobs/v`, Buffer.from('one'));
    expect((await get(`${proxy.url}/blobs/v`)).body.toString()).toBe('one');
    expect((await get(`${proxy.url}/blobs/v`)).response.headers.get('x-cache')).toBe('HIT');
    expect((await put(`${proxy.url}/blobs/v`, Buffer.from('two'))).status).toBe(200);
    expect((await get(`${proxy.url}/blobs/v`)).body.toString()).toBe('two');
    expect((await fetch(`${proxy.url}/blobs/v`, { method: 'DELETE' })).status).toBe(204);
    expect((await get(`${proxy.url}/blobs/v`)).response.status).toBe(404);
  });
});

describe('cache proxy in front of a stub upstream', () => {
  let stub: StubUpstream;
  let proxy: RunningCacheProxy;
  beforeEach(async () => {
    stub = await startStubUpstream();
    proxy = await startCacheProxy(stub.url, { CACHE_MAX_ENTRY_BYTES: 64 * 1024, UPSTREAM_TIMEOUT_MS: 300 });
  });
  afterEach(async () => {
    await proxy.close();
    await stub.close();
  });

  // Coalescing and invalidation races: ordering.test.ts, with the order of events set by the test.

  it('answers 400 problem+json for a bad id, as the balancer and the nodes do, without asking upstream', async () => {
    const bad = ['/blobs/a/b', '/blobs/', `/blobs/${'x'.repeat(256)}`, '/blobs/a%20b', '/blobs/a%2Fb'];
    for (const path of bad) {
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const response = await fetch(proxy.url + path, { method });
        expect(response.status, `${method} ${path}`).toBe(400);
        if (method !== 'HEAD') {
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(((await response.json()) as { status: number }).status).toBe(400);
        } else await response.arrayBuffer();
      }
    }
    expect((await fetch(`${proxy.url}/blobs/a%20b`, { method: 'PURGE' })).status).toBe(400);
    // The longest id any node may accept still goes upstream (whose MAX_ID_LENGTH decides).
    expect((await get(`${proxy.url}/blobs/${'x'.repeat(255)}`)).response.status).toBe(404);
    expect(stub.requests).toEqual([`GET ${'x'.repeat(255)}`]);
  });

  it('streams an entry larger than CACHE_MAX_ENTRY_BYTES through without storing it', async () => {
    const data = randomBytes(200 * 1024);
    stub.blobs.set('big', { body: data, headers: {} });
    const first = await get(`${proxy.url}/blobs/big`);
    expect(first.body.equals(data)).toBe(true);
    expect(first.response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss');
    const second = await get(`${proxy.url}/blobs/big`);
    expect(second.body.equals(data)).toBe(true);
    expect(second.response.headers.get('x-cache')).toBe('MISS');
    expect(stub.count('GET', 'big')).toBe(2);
    const stats = (await (await fetch(`${proxy.url}/internal/cache`)).json()) as Record<string, number>;
    expect(stats.items).toBe(0);
  });

  it('answers 504 when upstream is slower than UPSTREAM_TIMEOUT_MS', async () => {
    stub.blobs.set('slow', { body: Buffer.from('x'), headers: {} });
    stub.delayGets('slow', 1000);
    const { response, body } = await get(`${proxy.url}/blobs/slow`);
    expect(response.status).toBe(504);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.parse(body.toString())).toMatchObject({ status: 504 });
  });

  it('honours Cache-Control on requests and responses', async () => {
    stub.blobs.set('cc', { body: Buffer.from('a'), headers: {} });
    await get(`${proxy.url}/blobs/cc`);
    const bypass = await get(`${proxy.url}/blobs/cc`, { headers: { 'cache-control': 'no-store' } });
    expect(bypass.response.headers.get('x-cache')).toBe('BYPASS');
    stub.blobs.set('cc', { body: Buffer.from('b'), headers: {} }); // changed behind the cache's back
    expect((await get(`${proxy.url}/blobs/cc`)).body.toString()).toBe('a');
    const refresh = await get(`${proxy.url}/blobs/cc`, { headers: { 'cache-control': 'no-cache' } });
    expect(refresh.response.headers.get('x-cache')).toBe('MISS');
    expect(refresh.body.toString()).toBe('b');
    expect((await get(`${proxy.url}/blobs/cc`)).body.toString()).toBe('b');

    stub.blobs.set('private', { body: Buffer.from('p'), headers: {} });
    stub.extraHeaders.set('private', { 'cache-control': 'private' });
    await get(`${proxy.url}/blobs/private`);
    expect((await get(`${proxy.url}/blobs/private`)).response.headers.get('x-cache')).toBe('MISS');
  });

  it('PURGE evicts one id and DELETE /internal/cache empties the cache', async () => {
    stub.blobs.set('p1', { body: Buffer.from('1'), headers: {} });
    stub.blobs.set('p2', { body: Buffer.from('2'), headers: {} });
    await get(`${proxy.url}/blobs/p1`);
    await get(`${proxy.url}/blobs/p2`);
    const purge = await fetch(`${proxy.url}/blobs/p1`, { method: 'PURGE' });
    expect(purge.status).toBe(204);
    expect((await get(`${proxy.url}/blobs/p1`)).response.headers.get('x-cache')).toBe('MISS');
    expect((await get(`${proxy.url}/blobs/p2`)).response.headers.get('x-cache')).toBe('HIT');
    expect((await fetch(`${proxy.url}/internal/cache`, { method: 'DELETE' })).status).toBe(204);
    expect((await get(`${proxy.url}/blobs/p2`)).response.headers.get('x-cache')).toBe('MISS');
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toMatch(/^cache_hits_total 1$/m);
    expect(metrics).toMatch(/^cache_items 1$/m);
  });
});

describe('cache proxy with its upstream down', () => {
  it('answers 502', async () => {
    const stub = await startStubUpstream();
    await stub.close(); // its port is now closed
    const proxy = await startCacheProxy(stub.url);
    try {
      const { response, body } = await get(`${proxy.url}/blobs/x`);
      expect(response.status).toBe(502);
      expect(JSON.parse(body.toString())).toMatchObject({ status: 502 });
      expect((await fetch(`${proxy.url}/ready`)).status).toBe(503);
    } finally {
      await proxy.close();
    }
  });
});

describe('PURGE with INTERNAL_TOKEN', () => {
  it('needs the bearer token', async () => {
    const stub = await startStubUpstream();
    const proxy = await startCacheProxy(stub.url, { INTERNAL_TOKEN: 'sesame' });
    try {
      expect((await fetch(`${proxy.url}/blobs/a`, { method: 'PURGE' })).status).toBe(401);
      const ok = await fetch(`${proxy.url}/blobs/a`, {
        method: 'PURGE',
        headers: { authorization: 'Bearer sesame' },
      });
      expect(ok.status).toBe(204);
    } finally {
      await proxy.close();
      await stub.close();
    }
  });
});

describe('cache limits and age', () => {
  let stub: StubUpstream;
  let proxy: RunningCacheProxy | undefined;
  beforeEach(async () => {
    stub = await startStubUpstream();
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      stub.blobs.set(id, {
        body: Buffer.alloc(1000, id),
        headers: { 'content-type': 'application/octet-stream' },
      });
    }
  });
  afterEach(async () => {
    await proxy?.close();
    await stub.close();
  });

  it('keeps bytes within CACHE_MAX_BYTES by evicting the least recently used entries', async () => {
    // Room for three entries of 1,000 bytes (each also counts its headers, key and ENTRY_OVERHEAD_BYTES).
    const limit = 3 * (1000 + ENTRY_OVERHEAD_BYTES) + 1000;
    proxy = await startCacheProxy(stub.url, { CACHE_MAX_BYTES: limit });
    for (const id of ['a', 'b', 'c']) await get(`${proxy.url}/blobs/${id}`);
    await get(`${proxy.url}/blobs/a`); // a is now the most recent: b is the oldest
    for (const id of ['d', 'e']) await get(`${proxy.url}/blobs/${id}`);

    const stats = (await (await fetch(`${proxy.url}/internal/cache`)).json()) as Record<string, number>;
    expect(stats.bytes).toBeLessThanOrEqual(limit);
    expect(stats.items).toBe(3);
    expect(stats.items).toBeLessThan(5);
    expect(stats.evictions).toBe(5 - (stats.items ?? 0));
    expect((await get(`${proxy.url}/blobs/e`)).response.headers.get('x-cache')).toBe('HIT');
    expect((await get(`${proxy.url}/blobs/b`)).response.headers.get('x-cache')).toBe('MISS');
  });

  it('refetches a hit older than CACHE_TTL_SECONDS', async () => {
    let clock = 1_000_000;
    proxy = await startCacheProxy(stub.url, { CACHE_TTL_SECONDS: 10 }, () => clock);
    expect((await get(`${proxy.url}/blobs/a`)).response.headers.get('x-cache')).toBe('MISS');
    clock += 9_000;
    const young = await get(`${proxy.url}/blobs/a`);
    expect(young.response.headers.get('x-cache')).toBe('HIT');
    expect(young.response.headers.get('age')).toBe('9');
    clock += 2_000;
    expect((await get(`${proxy.url}/blobs/a`)).response.headers.get('x-cache')).toBe('MISS');
    expect(stub.count('GET', 'a')).toBe(2);
  });
});
