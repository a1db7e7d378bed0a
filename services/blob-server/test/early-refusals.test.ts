// Early refusals reach the client: a write refused from its headers alone (413 over MAX_LENGTH, 507 over the
// quota, 412 on a failed If-Match, 409 for an older X-Blob-Version, 431 for a stored header over its limit or
// headers over HTTP_MAX_HEADER_SIZE, 400 for a bad id, 411 for a chunked upload) is read by curl, undici and
// node:http during 2 MiB and 10 MiB uploads, with and without `Expect: 100-continue`: the status and its
// problem+json, never a reset instead. Afterwards the node answers normally and holds no connection: the
// lingering close ended when the client was done.
import { expectRefusal, openConnections, upload, UPLOAD_CLIENTS } from '@backend-rebase/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { removeDir, scratchDir, startBlobServer, type RunningBlobServer } from './support/blob-server.js';

const MiB = 1024 * 1024;
let small: RunningBlobServer; // MAX_LENGTH 1 MiB: 413
let full: RunningBlobServer; // a 1 MiB quota with a MAX_LENGTH that allows the uploads: 507

beforeAll(async () => {
  small = await startBlobServer(await scratchDir('refusals-small'), { MAX_LENGTH: MiB });
  full = await startBlobServer(await scratchDir('refusals-full'), {
    MAX_LENGTH: 16 * MiB,
    MAX_DISK_QUOTA: MiB,
  });
  const kept = await fetch(`${full.url}/blobs/kept`, {
    method: 'PUT',
    body: 'kept',
    headers: { 'x-blob-version': '1000' },
  });
  expect(kept.status).toBe(201);
});

afterAll(async () => {
  await small.close();
  await full.close();
  await removeDir(small.dataDir);
  await removeDir(full.dataDir);
});

interface Refusal {
  name: string;
  server: () => RunningBlobServer;
  path: string;
  status: number;
  detail: RegExp;
  headers?: Record<string, string>;
  chunked?: true;
}

const REFUSALS: Refusal[] = [
  {
    name: 'over MAX_LENGTH',
    server: () => small,
    path: '/blobs/big',
    status: 413,
    detail: /MAX_LENGTH is 1048576/,
  },
  { name: 'over the quota', server: () => full, path: '/blobs/big', status: 507, detail: /MAX_DISK_QUOTA/ },
  {
    name: 'a failed If-Match',
    server: () => full,
    path: '/blobs/absent',
    status: 412,
    detail: /If-Match/,
    headers: { 'if-match': '"nope"' },
  },
  {
    name: 'an older X-Blob-Version',
    server: () => full,
    path: '/blobs/kept',
    status: 409,
    detail: /older than the stored version 1000/,
    headers: { 'x-blob-version': '5' },
  },
  {
    name: 'a stored header over MAX_HEADER_LENGTH',
    server: () => full,
    path: '/blobs/noted',
    status: 431,
    detail: /MAX_HEADER_LENGTH is 100/,
    headers: { 'x-rebase-note': 'n'.repeat(200) },
  },
  {
    name: 'headers over HTTP_MAX_HEADER_SIZE',
    server: () => full,
    path: '/blobs/noted',
    status: 431,
    detail: /header/i,
    headers: { 'x-padding': 'p'.repeat(20_000) },
  },
  { name: 'a bad id', server: () => full, path: '/blobs/a%20b', status: 400, detail: /id/ },
  {
    name: 'a chunked body',
    server: () => full,
    path: '/blobs/chunked',
    status: 411,
    detail: /Content-Length/,
    chunked: true,
  },
];

describe.each(REFUSALS)('a write refused for $name', (refusal) => {
  for (const { client, expect: withExpect } of UPLOAD_CLIENTS) {
    for (const size of [2 * MiB, 10 * MiB]) {
      it(`reaches ${client} during a ${size / MiB} MiB upload ${withExpect ? 'with' : 'without'} Expect`, async () => {
        const server = refusal.server();
        const result = await upload({
          client,
          url: server.url + refusal.path,
          bytes: size,
          expect: withExpect,
          headers: refusal.headers,
          chunked: refusal.chunked,
        });
        expectRefusal(result, refusal);
        const health = await fetch(`${server.url}/health`, { headers: { connection: 'close' } });
        expect(health.status).toBe(200);
        await vi.waitFor(async () => expect(await openConnections(server.app)).toBe(0));
      });
    }
  }
});
