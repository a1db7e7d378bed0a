// The request a proxy sends upstream: the path it chose plus the client's query, the client's end-to-end headers
// and the request id, sent through a real undici Pool to a real server.
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { sendThrough, upstreamPool, upstreamRequestFor, withQueryOf } from '../src/index.js';
import { answerText, startUpstream, textOf, type TestUpstream } from './support/upstream.js';

let upstream: TestUpstream | undefined;
const pools: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  await upstream?.close();
  upstream = undefined;
});

function poolFor(origin: string) {
  const pool = upstreamPool(origin, { connections: 2, connectTimeoutMs: 1_000 });
  pools.push(pool);
  return pool;
}

const signal = new AbortController().signal;

describe('withQueryOf', () => {
  it("appends the client's query byte for byte, and nothing when there is none", () => {
    expect(withQueryOf('/blobs/a', '/blobs/a?x=1&y=%2F')).toBe('/blobs/a?x=1&y=%2F');
    expect(withQueryOf('/blobs/a%2Fb', '/blobs/a%2Fb')).toBe('/blobs/a%2Fb');
    expect(withQueryOf('/blobs/a', '/blobs/a?')).toBe('/blobs/a?');
    expect(withQueryOf('/blobs/a', '/x/../blobs/a?q=1?2')).toBe('/blobs/a?q=1?2');
  });
});

describe('upstreamRequestFor', () => {
  it("takes the proxy's path, the client's query, the end-to-end headers and the request id", () => {
    const request = upstreamRequestFor(
      {
        method: 'GET',
        url: '/blobs/a?version=3',
        headers: { host: 'proxy', connection: 'keep-alive', 'content-length': '0', range: 'bytes=0-1' },
        id: 'req-1',
      },
      '/blobs/a',
      signal,
    );
    expect(request).toEqual({
      method: 'GET',
      path: '/blobs/a?version=3',
      headers: { range: 'bytes=0-1', 'x-request-id': 'req-1' },
      signal,
    });
  });

  it('keeps content-length on uploads', () => {
    const request = upstreamRequestFor(
      { method: 'PUT', url: '/blobs/a', headers: { 'content-length': '3', expect: '100-continue' }, id: 'r' },
      '/blobs/a',
      signal,
    );
    expect(request.headers).toEqual({ 'content-length': '3', 'x-request-id': 'r' });
  });
});

describe('sendThrough', () => {
  it('sends the method, path and query, headers and body, and hands back the answer as a stream', async () => {
    upstream = await startUpstream(answerText(201, 'stored', { etag: '"1"' }));
    const request = upstreamRequestFor(
      {
        method: 'PUT',
        url: '/blobs/a?x=1',
        headers: { 'content-length': '5', 'x-rebase-a': 'b' },
        id: 'r-2',
      },
      '/blobs/a',
      signal,
    );
    const response = await sendThrough(
      poolFor(upstream.origin),
      { ...request, body: Readable.from([Buffer.from('hello')]) },
      5_000,
    );
    expect(response.statusCode).toBe(201);
    expect(response.headers.etag).toBe('"1"');
    expect(await textOf(response.body)).toBe('stored');
    expect(upstream.seen).toHaveLength(1);
    const [seen] = upstream.seen;
    expect(seen?.method).toBe('PUT');
    expect(seen?.url).toBe('/blobs/a?x=1');
    expect(seen?.headers['x-request-id']).toBe('r-2');
    expect(seen?.headers['x-rebase-a']).toBe('b');
    expect(seen?.body.toString()).toBe('hello');
  });

  it('stops the request when the signal aborts', async () => {
    upstream = await startUpstream(() => undefined);
    const controller = new AbortController();
    const sent = sendThrough(
      poolFor(upstream.origin),
      { method: 'GET', path: '/blobs/a', headers: {}, signal: controller.signal },
      5_000,
    );
    setTimeout(() => controller.abort(), 50);
    await expect(sent).rejects.toMatchObject({ name: 'AbortError' });
  });
});
