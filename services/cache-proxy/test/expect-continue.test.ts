// A client that sends `Expect: 100-continue` through the cache proxy gets its 100 only when upstream sends one:
// an upload upstream refuses from its headers is answered without the client sending a byte of it, and an
// accepted one is stored whole.
import { rawConnection, requestHead, upload } from '@backend-rebase/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBlobServer, type TestBlobServer } from 'blob-server/testing';
import { startCacheProxy, type RunningCacheProxy } from './support/cache-proxy.js';

const MiB = 1024 * 1024;

let node: TestBlobServer;
let proxy: RunningCacheProxy;

beforeAll(async () => {
  node = await startBlobServer({ settings: { FSYNC: false, MAX_LENGTH: 4 * MiB } });
  proxy = await startCacheProxy(node.url);
});

afterAll(async () => {
  await proxy.close();
  await node.close();
});

describe('Expect: 100-continue through the cache proxy', () => {
  it("answers upstream's refusal from the headers without a 100, though the client sends nothing more", async () => {
    const connection = await rawConnection(Number(new URL(proxy.url).port));
    connection.socket.write(
      requestHead('PUT', '/blobs/huge', {
        'content-length': String(10 * 1024 * MiB),
        expect: '100-continue',
      }),
    );
    // The client waits for the 100 that must not come: the final answer is all it receives.
    await connection.closed;
    const received = connection.received();
    expect(received).not.toContain('100 Continue');
    expect(received.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(received.toLowerCase()).toContain('connection: close');
    expect(received).toContain('MAX_LENGTH');
  });

  it('sends the 100 once upstream has, and stores the whole upload', async () => {
    const result = await upload({
      client: 'curl',
      url: `${proxy.url}/blobs/accepted`,
      bytes: 2 * MiB,
      expect: true,
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(201);
    const read = await fetch(`${node.url}/blobs/accepted`);
    expect(read.status).toBe(200);
    expect((await read.arrayBuffer()).byteLength).toBe(2 * MiB);
  });
});
