// The blob API as a user sees it with curl: bytes in, the same bytes out, with the stored headers and nothing
// else; upsert status codes; HEAD; DELETE; the files on disk.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstDifference,
  removeDir,
  scratchDir,
  startBlobServer,
  tempFiles,
  type RunningBlobServer,
} from './support/blob-server.js';

let server: RunningBlobServer;
const MAX_LENGTH = 256 * 1024;

beforeAll(async () => {
  server = await startBlobServer(await scratchDir('round-trip'), { MAX_LENGTH });
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
});

const url = (id: string) => `${server.url}/blobs/${id}`;
const quotedMd5 = (bytes: Uint8Array) => `"${createHash('md5').update(bytes).digest('hex')}"`;

async function put(id: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  return fetch(url(id), { method: 'PUT', body, headers });
}

describe('storing and reading blobs', () => {
  it('returns every byte value exactly, with its ETag, length and type', async () => {
    const allBytes = Uint8Array.from({ length: 256 * 4 }, (_, index) => index % 256);

    const created = await put('all-bytes', allBytes);
    expect(created.status).toBe(201);
    const etag = quotedMd5(allBytes);
    expect(created.headers.get('etag')).toBe(etag);
    expect(await created.json()).toEqual({ id: 'all-bytes', size: allBytes.length, etag });

    const read = await fetch(url('all-bytes'));
    expect(read.status).toBe(200);
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(allBytes);
    expect(read.headers.get('etag')).toBe(etag);
    expect(read.headers.get('content-length')).toBe(String(allBytes.length));
    expect(read.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Date(read.headers.get('last-modified') ?? '').getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('stores Content-Type and x-rebase-* headers, and no others', async () => {
    await put('with-headers', 'hello', {
      'content-type': 'text/plain; charset=utf-8',
      'X-Rebase-Owner': 'Ada',
      'x-rebase-tags': 'a,b',
      'x-other': 'not stored',
      'cache-control': 'no-store',
    });

    const read = await fetch(url('with-headers'));
    expect(await read.text()).toBe('hello');
    expect(read.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(read.headers.get('x-rebase-owner')).toBe('Ada');
    expect(read.headers.get('x-rebase-tags')).toBe('a,b');
    expect(read.headers.get('x-other')).toBeNull();
    expect(read.headers.get('cache-control')).toBeNull();
  });

  it('stores an empty blob', async () => {
    const created = await put('empty', new Uint8Array());
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ size: 0, etag: '"d41d8cd98f00b204e9800998ecf8427e"' });

    const read = await fetch(url('empty'));
    expect(read.status).toBe(200);
    expect(read.headers.get('content-length')).toBe('0');
    expect(await read.text()).toBe('');
  });

  it('stores a blob of exactly MAX_LENGTH (body plus stored headers) and refuses one byte more', async () => {
    const headerBytes = 'content-type'.length + 'application/octet-stream'.length;
    const body = new Uint8Array(MAX_LENGTH - headerBytes).fill(7);

    const exact = await put('exactly-max', body);
    expect(exact.status).toBe(201);
    const stored = new Uint8Array(await (await fetch(url('exactly-max'))).arrayBuffer());
    expect(firstDifference(stored, body)).toBe(-1);

    const over = await put('one-over', new Uint8Array(body.length + 1));
    expect(over.status).toBe(413);
    expect(over.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect((await over.json()) as { detail: string }).toMatchObject({
      detail: `the blob is ${MAX_LENGTH + 1} bytes (body ${body.length + 1} + stored headers ${headerBytes}); MAX_LENGTH is ${MAX_LENGTH}`,
    });
    expect((await fetch(url('one-over'))).status).toBe(404);
  });

  it('answers 200 when replacing, POST and PUT alike, and serves the new version', async () => {
    expect((await fetch(url('upsert'), { method: 'POST', body: 'one' })).status).toBe(201);
    const replaced = await fetch(url('upsert'), { method: 'POST', body: 'two' });
    expect(replaced.status).toBe(200);
    expect((await put('upsert', 'three')).status).toBe(200);
    expect(await (await fetch(url('upsert'))).text()).toBe('three');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    await put('head-me', 'twelve bytes', { 'x-rebase-kind': 'greeting', 'content-type': 'text/plain' });
    const get = await fetch(url('head-me'));
    const head = await fetch(url('head-me'), { method: 'HEAD' });

    expect(head.status).toBe(200);
    for (const name of [
      'etag',
      'content-length',
      'content-type',
      'last-modified',
      'x-rebase-kind',
      'x-blob-version',
    ]) {
      expect([name, head.headers.get(name)]).toEqual([name, get.headers.get(name)]);
    }
    expect(head.headers.get('content-length')).toBe('12');
    expect(await head.text()).toBe('');
  });

  it('deletes: 204, then 404, and 204 again for what is not there', async () => {
    await put('doomed', 'bye');
    expect((await fetch(url('doomed'), { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(url('doomed'))).status).toBe(404);
    expect((await fetch(url('doomed'), { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(url('doomed'), { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(url('never-was'), { method: 'DELETE' })).status).toBe(204);
  });

  it('answers 404 with a problem naming the id', async () => {
    const missing = await fetch(url('nothing-here'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      status: 404,
      detail: 'there is no blob with id "nothing-here"',
    });
  });

  it('answers 405 for methods outside the contract', async () => {
    const patch = await fetch(url('all-bytes'), { method: 'PATCH', body: 'x' });
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toContain('PUT');
  });

  it('keeps one record file per blob under DATA_DIR/blobs and no temp files', async () => {
    const digest = createHash('md5').update('all-bytes').digest('hex');
    const folder = path.join(server.dataDir, 'blobs', digest.slice(0, 1), digest.slice(1, 3));
    expect(await readdir(folder)).toContain('all-bytes');
    expect(await tempFiles(server.dataDir)).toEqual([]);
  });
});
