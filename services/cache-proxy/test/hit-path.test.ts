// A hit is answered before any upstream request is built, with headers prepared once per entry: these tests
// would fail if that fast path answered anything a full read would not — other bytes or headers than the miss,
// another entry's prepared headers, a stored request id, or a hit where the client's headers ask for upstream.
import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCacheProxy, type RunningCacheProxy } from './support/cache-proxy.js';
import { startStubUpstream, type StubUpstream } from './support/stub-upstream.js';

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

/** The answer's headers without those that differ on every answer by design, and the client hop's own. */
function lasting(headers: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const {
    date: _date,
    'x-request-id': _id,
    age: _age,
    'x-cache': _x,
    'cache-status': _s,
    connection: _connection,
    'keep-alive': _keepAlive,
    ...rest
  } = headers;
  return rest;
}

async function send(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
  const response = await request(`${proxy.url}${path}`, { method, headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}

describe('a cache hit', () => {
  it('answers the bytes and every lasting header of the miss, in the same order, hit after hit', async () => {
    stub.blobs.set('a', {
      body: Buffer.from('first version'),
      headers: { 'content-type': 'text/plain', 'x-rebase-owner': 'ada' },
    });
    stub.extraHeaders.set('a', { 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT', 'x-kept': 'yes' });
    const miss = await send('/blobs/a');
    expect(miss.headers['x-cache']).toBe('MISS');
    for (let i = 0; i < 3; i++) {
      const hit = await send('/blobs/a', { 'x-request-id': `hit-${i}` });
      expect(hit.status).toBe(200);
      expect(hit.body.toString()).toBe('first version');
      expect(hit.headers['x-cache']).toBe('HIT');
      expect(hit.headers['cache-status']).toBe('rebase-cache; hit');
      expect(hit.headers.age).toMatch(/^\d+$/);
      // Its own request id, never one stored with the entry.
      expect(hit.headers['x-request-id']).toBe(`hit-${i}`);
      expect(lasting(hit.headers)).toEqual(lasting(miss.headers));
      expect(Object.keys(lasting(hit.headers))).toEqual(Object.keys(lasting(miss.headers)));
      expect(hit.headers.connection).toBe('keep-alive');
    }
    const head = await send('/blobs/a', {}, 'HEAD');
    expect(head.headers['x-cache']).toBe('HIT');
    expect(head.body.length).toBe(0);
    expect(lasting(head.headers)).toEqual(lasting(miss.headers));
    expect(stub.count('GET', 'a')).toBe(1);
    expect(stub.count('HEAD', 'a')).toBe(0);
  });

  it("replays a new entry's headers after a write, not those prepared for the old one", async () => {
    stub.blobs.set('b', { body: Buffer.from('old'), headers: { 'content-type': 'text/plain' } });
    await send('/blobs/b');
    const oldHit = await send('/blobs/b');
    expect(oldHit.headers['x-cache']).toBe('HIT');
    const put = await request(`${proxy.url}/blobs/b`, {
      method: 'PUT',
      body: 'new bytes',
      headers: { 'content-type': 'application/x-new', 'x-rebase-owner': 'grace' },
    });
    await put.body.dump();
    await send('/blobs/b');
    const newHit = await send('/blobs/b');
    expect(newHit.headers['x-cache']).toBe('HIT');
    expect(newHit.body.toString()).toBe('new bytes');
    expect(newHit.headers['content-type']).toBe('application/x-new');
    expect(newHit.headers['x-rebase-owner']).toBe('grace');
    expect(newHit.headers['content-length']).toBe('9');
    expect(newHit.headers.etag).not.toBe(oldHit.headers.etag);
  });

  it('is not used when the client asks for a range, no-store or no-cache, unless Connection made that header hop-by-hop', async () => {
    stub.blobs.set('c', { body: Buffer.from('0123456789'), headers: {} });
    await send('/blobs/c');
    const range = await send('/blobs/c', { range: 'bytes=0-3' });
    expect(range.headers['x-cache']).toBe('BYPASS');
    expect(stub.requests.filter((r) => r === 'GET c')).toHaveLength(2);
    expect((await send('/blobs/c', { 'cache-control': 'no-store' })).headers['x-cache']).toBe('BYPASS');
    expect((await send('/blobs/c', { 'cache-control': 'no-cache' })).headers['x-cache']).toBe('MISS');
    const before = stub.count('GET', 'c');
    // Named by Connection, these headers are for the proxy's own hop only: they do not go upstream, and do not
    // keep the answer from coming from memory.
    // node:http, not undici: undici refuses to send a Connection header that names others.
    const hopByHop = await new Promise<{ xCache: unknown; body: string }>((resolve, reject) => {
      const sent = httpRequest(
        `${proxy.url}/blobs/c`,
        {
          headers: {
            connection: 'keep-alive, cache-control, range',
            'cache-control': 'no-store',
            range: 'bytes=0-3',
          },
          agent: false,
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ xCache: response.headers['x-cache'], body }));
        },
      );
      sent.on('error', reject);
      sent.end();
    });
    expect(hopByHop.xCache).toBe('HIT');
    expect(hopByHop.body).toBe('0123456789');
    expect(stub.count('GET', 'c')).toBe(before);
  });

  it('answers a matching If-None-Match with 304 and no body, other ones with the blob', async () => {
    stub.blobs.set('d', { body: Buffer.from('etagged'), headers: { 'content-type': 'text/plain' } });
    const miss = await send('/blobs/d');
    const etag = String(miss.headers.etag);
    const notModified = await send('/blobs/d', { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.headers['content-type']).toBeUndefined();
    expect(notModified.headers['x-cache']).toBe('HIT');
    const other = await send('/blobs/d', { 'if-none-match': '"something-else"' });
    expect(other.status).toBe(200);
    expect(other.body.toString()).toBe('etagged');
    expect(other.headers['x-cache']).toBe('HIT');
  });
});
