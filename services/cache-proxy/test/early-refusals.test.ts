// Uploads refused before their body was read — by upstream (a node's 413 from the headers) or by the proxy itself
// (400 for a bad id, 411 for a chunked upload) — reach every kind of client as the answer, never as a reset, for
// bodies of 2 MiB and 10 MiB: the answer carries Connection: close, the upload to upstream stops, and the kit's
// lingering close drains the rest of the client's body.
import { expectRefusal, openConnections, upload, UPLOAD_CLIENTS } from '@backend-rebase/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBlobServer, type TestBlobServer } from 'blob-server/testing';
import { startCacheProxy, type RunningCacheProxy } from './support/cache-proxy.js';

const MiB = 1024 * 1024;

let node: TestBlobServer;
let proxy: RunningCacheProxy;

beforeAll(async () => {
  node = await startBlobServer({ settings: { FSYNC: false, MAX_LENGTH: MiB } });
  proxy = await startCacheProxy(node.url);
});

afterAll(async () => {
  await proxy.close();
  await node.close();
});

interface Refusal {
  name: string;
  path: string;
  status: number;
  detail: RegExp;
  chunked?: true;
}

const REFUSALS: Refusal[] = [
  { name: "the node's 413", path: '/blobs/big', status: 413, detail: /MAX_LENGTH/ },
  { name: 'its own 400 for a bad id', path: '/blobs/a%20b', status: 400, detail: /id/ },
  {
    name: 'its own 400 for an id over 255 characters',
    path: `/blobs/${'x'.repeat(256)}`,
    status: 400,
    detail: /255/,
  },
  {
    name: 'its own 411 for a chunked upload',
    path: '/blobs/chunked',
    status: 411,
    detail: /Content-Length/,
    chunked: true,
  },
];

describe.each(REFUSALS)('through the cache proxy, $name', (refusal) => {
  for (const { client, expect: withExpect } of UPLOAD_CLIENTS) {
    for (const size of [2 * MiB, 10 * MiB]) {
      it(`reaches ${client} during a ${size / MiB} MiB upload ${withExpect ? 'with' : 'without'} Expect`, async () => {
        // Connections an earlier test's fetch keeps alive are not this test's: none of the client's may be left
        // beside them.
        const before = await openConnections(proxy.app);
        const result = await upload({
          client,
          url: proxy.url + refusal.path,
          bytes: size,
          expect: withExpect,
          chunked: refusal.chunked,
        });
        expectRefusal(result, refusal);
        const health = await fetch(`${proxy.url}/health`, { headers: { connection: 'close' } });
        expect(health.status).toBe(200);
        // The refused connection is gone once its lingering close is over. That close is bounded by
        // HTTP_LINGER_TIME (30 s): on a loaded machine a client still sending can use it.
        await vi.waitFor(async () => expect(await openConnections(proxy.app)).toBeLessThanOrEqual(before), {
          timeout: 35_000,
        });
      }, 60_000);
    }
  }
});
