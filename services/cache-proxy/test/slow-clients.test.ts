// Clients that stop reading or stop sending, against the cache proxy: the fill they started still completes at
// upstream's pace for everyone collapsed into it, and what they hold (the proxy's connection to them, the upstream
// request) is released by the kit's idle bound (HTTP_IDLE_TIMEOUT, short here). undici's own bodyTimeout does not
// help: it is not checked while the body is paused by backpressure (client-h1.js, onParserTimeout).
import { randomBytes } from 'node:crypto';
import { eventually, neverReads, serverClosed, stopsHalfway } from '@backend-rebase/service-kit/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheStats } from '../src/cache/response-cache.js';
import { startCacheProxy, type RunningCacheProxy } from './support/cache-proxy.js';
import { startStubUpstream, type StubUpstream } from './support/stub-upstream.js';

const MiB = 1024 * 1024;
// Long enough that a reader which does read is never cut off by a stall of a loaded machine (a collapsed reader
// of 16 MiB was, at 500 ms, while other test files ran), short enough that the waits for it stay brief.
const IDLE_MS = 2_000;

async function get(url: string) {
  const response = await fetch(url);
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

async function stats(proxy: RunningCacheProxy): Promise<CacheStats> {
  return (await (await fetch(`${proxy.url}/internal/cache`)).json()) as CacheStats;
}

describe('slow readers and writers', () => {
  let stub: StubUpstream;
  let proxy: RunningCacheProxy;
  beforeEach(async () => {
    stub = await startStubUpstream();
    proxy = await startCacheProxy(
      stub.url,
      { CACHE_MAX_BYTES: 128 * MiB, CACHE_MAX_ENTRY_BYTES: 32 * MiB },
      undefined,
      { idleTimeoutMs: IDLE_MS },
    );
  });
  afterEach(async () => {
    await proxy.close();
    await stub.close();
  });

  it('a first reader that never reads holds back neither the fill nor the requests collapsed into it', async () => {
    // Far more than the kernel's socket buffers hold: a fill tied to this reader would stall.
    const data = randomBytes(16 * MiB);
    stub.blobs.set('big', { body: data, headers: {} });
    const holder = stub.hold('big');
    const leader = await neverReads(proxy.port, '/blobs/big');
    const held = await holder.next();
    const others = Array.from({ length: 3 }, () => get(`${proxy.url}/blobs/big`));
    await eventually(
      'the three requests collapsed into the fill',
      () => stats(proxy),
      (s) => s.collapsed === 3,
    );
    held.release();
    for (const { response, body } of await Promise.all(others)) {
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-status')).toBe('rebase-cache; fwd=uri-miss; collapsed');
      expect(body.equals(data)).toBe(true);
    }
    expect(stub.count('GET', 'big')).toBe(1);
    expect(stub.openResponses()).toBe(0); // the fill's upstream request is over
    expect((await stats(proxy)).items).toBe(1);
    // The reader itself is cut off by the idle bound.
    await eventually(
      'the proxy closes the reader’s connection',
      () => serverClosed(proxy.port, leader),
      Boolean,
    );
    leader.socket.destroy();
  });

  it('a reader that never reads a streamed answer holds the upstream request only until the idle bound', async () => {
    const data = randomBytes(48 * MiB); // over CACHE_MAX_ENTRY_BYTES: streamed through at the reader's pace
    stub.blobs.set('huge', { body: data, headers: {} });
    stub.blobs.set('small', { body: Buffer.from('small'), headers: {} });
    const reader = await neverReads(proxy.port, '/blobs/huge');
    await eventually(
      'the upstream request is under way',
      () => stub.count('GET', 'huge'),
      (n) => n === 1,
    );
    // Meanwhile other clients are served in full.
    const other = await get(`${proxy.url}/blobs/small`);
    expect(other.body.toString()).toBe('small');
    await eventually(
      'the proxy closes the reader’s connection',
      () => serverClosed(proxy.port, reader),
      Boolean,
    );
    reader.socket.destroy();
    await eventually(
      'the upstream request is released',
      () => stub.openResponses(),
      (n) => n === 0,
    );
  });

  it('a client that stops sending its body holds the upstream PUT only until the idle bound', async () => {
    const writer = await stopsHalfway(proxy.port, '/blobs/half', 10 * MiB, 1 * MiB);
    await eventually(
      'the upload is on its way upstream',
      () => stub.count('PUT', 'half'),
      (n) => n === 1,
    );
    await writer.closed;
    await eventually(
      'the upstream request is released',
      () => stub.openResponses(),
      (n) => n === 0,
    );
    expect(stub.blobs.has('half')).toBe(false);
  });
});
