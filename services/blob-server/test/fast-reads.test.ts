// The read fast path (storage/open-records.ts): a blob read often stays open between reads, its metadata from
// memory, a small body read with one positioned read and a large one streamed. Each test reads a blob at least
// twice, so both the first read (which opens the record) and the later ones (which use the open file) are
// checked: bytes, headers, ranges, 304s, a blob replaced or deleted after it was read, reads racing writes, and
// no record left open at rest or after the server stops. Small writes (header and body in one write) are read
// back after a restart, so the record format is the one warm-up reads.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, openFilesUnder } from '@backend-rebase/service-kit/testing';
import { READ_CHUNK_BYTES } from '../src/storage/open-records.js';
import {
  firstDifference,
  removeDir,
  scratchDir,
  startBlobServer,
  type RunningBlobServer,
} from './support/blob-server.js';

let server: RunningBlobServer;

beforeAll(async () => {
  server = await startBlobServer(await scratchDir('fast-reads'), { MAX_LENGTH: 8 * 1024 * 1024 });
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
});

const url = (id: string) => `${server.url}/blobs/${id}`;
const etagOf = (bytes: Uint8Array) => `"${createHash('md5').update(bytes).digest('hex')}"`;

async function put(id: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  const response = await fetch(url(id), { method: 'PUT', body, headers });
  await response.arrayBuffer();
  expect(response.status).toBeLessThan(300);
  return response;
}

async function get(id: string, headers: Record<string, string> = {}) {
  const response = await fetch(url(id), { headers });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

const SIZES = [
  ['empty', 0],
  ['one byte', 1],
  ['4 KiB', 4 * 1024],
  ['just under 64 KiB (the first read holds header and body)', 64 * 1024 - 300],
  ['64 KiB', 64 * 1024],
  ['one read exactly', READ_CHUNK_BYTES],
  ['one byte past one read', READ_CHUNK_BYTES + 1],
  ['1 MiB', 1024 * 1024],
  ['several reads and a bit', 3 * READ_CHUNK_BYTES + 12_345],
] as const;

describe('reads of blobs of every size', () => {
  it.each(SIZES)('%s: the same bytes and headers on the first read and on later ones', async (_, size) => {
    const id = `size-${size}`;
    const body = randomBytes(size);
    await put(id, body, { 'content-type': 'application/x-test', 'x-rebase-size': String(size) });
    for (let round = 0; round < 3; round += 1) {
      const { response, body: read } = await get(id);
      expect(response.status).toBe(200);
      expect(read.length).toBe(size);
      expect(firstDifference(read, body)).toBe(-1);
      expect(response.headers.get('etag')).toBe(etagOf(body));
      expect(response.headers.get('content-length')).toBe(String(size));
      expect(response.headers.get('content-type')).toBe('application/x-test');
      expect(response.headers.get('x-rebase-size')).toBe(String(size));
      const head = await fetch(url(id), { method: 'HEAD' });
      expect(head.headers.get('content-length')).toBe(String(size));
      expect(head.headers.get('etag')).toBe(etagOf(body));
      expect(await head.text()).toBe('');
    }
  });
});

describe('a blob read, then changed', () => {
  it('serves the new version, with its own headers, once it replaced the one read before', async () => {
    await put('replaced', 'the first version', { 'x-rebase-v': '1', 'content-type': 'text/plain' });
    expect((await get('replaced')).body.toString()).toBe('the first version');
    const first = await get('replaced');
    const newer = randomBytes(READ_CHUNK_BYTES * 2 + 7);
    await put('replaced', newer, { 'x-rebase-v': '2' });
    for (let round = 0; round < 2; round += 1) {
      const { response, body } = await get('replaced');
      expect(firstDifference(body, newer)).toBe(-1);
      expect(response.headers.get('etag')).toBe(etagOf(newer));
      expect(response.headers.get('x-rebase-v')).toBe('2');
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      expect(response.headers.get('x-blob-version')).not.toBe(first.response.headers.get('x-blob-version'));
    }
    // And back to a small one: the large version's open file is not used for it.
    await put('replaced', 'small again');
    expect((await get('replaced')).body.toString()).toBe('small again');
  });

  it('answers 404 with the delete’s version for a blob deleted after it was read, and closes its file', async () => {
    await put('deleted', randomBytes(10_000));
    expect((await get('deleted')).response.status).toBe(200);
    expect((await get('deleted')).response.status).toBe(200);
    const deleted = await fetch(url('deleted'), { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const { response } = await get('deleted');
    expect(response.status).toBe(404);
    expect(response.headers.get('x-blob-version')).toBe(deleted.headers.get('x-blob-version'));
    expect((await fetch(url('deleted'), { method: 'HEAD' })).status).toBe(404);
    // The record's file is closed at the delete, not at the next idle sweep.
    const open = await openFilesUnder(server.dataDir);
    expect(open.filter((file) => file.endsWith('/deleted'))).toEqual([]);
  });

  it('serves a blob written again after a delete', async () => {
    await put('reborn', 'one');
    expect((await get('reborn')).body.toString()).toBe('one');
    await fetch(url('reborn'), { method: 'DELETE' });
    expect((await get('reborn')).response.status).toBe(404);
    await put('reborn', 'two');
    expect((await get('reborn')).body.toString()).toBe('two');
  });
});

describe('conditional and partial reads of an open record', () => {
  const body = randomBytes(3 * READ_CHUNK_BYTES);

  beforeAll(async () => {
    await put('ranged', body);
    await get('ranged');
  });

  it.each([
    ['bytes=0-0', 0, 0],
    ['bytes=10-19', 10, 19],
    ['bytes=-500', body.length - 500, body.length - 1],
    [`bytes=${READ_CHUNK_BYTES - 5}-${READ_CHUNK_BYTES + 5}`, READ_CHUNK_BYTES - 5, READ_CHUNK_BYTES + 5],
    [`bytes=1-${READ_CHUNK_BYTES}`, 1, READ_CHUNK_BYTES],
    [`bytes=1-${READ_CHUNK_BYTES + 1}`, 1, READ_CHUNK_BYTES + 1],
    ['bytes=100-', 100, body.length - 1],
    [`bytes=0-${body.length + 1000}`, 0, body.length - 1],
  ])('%s: 206 with those bytes', async (range, start, end) => {
    for (let round = 0; round < 2; round += 1) {
      const { response, body: read } = await get('ranged', { range });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${body.length}`);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      expect(firstDifference(read, body.subarray(start, end + 1))).toBe(-1);
    }
  });

  it('a range past the end: 416', async () => {
    const { response } = await get('ranged', { range: `bytes=${body.length}-` });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${body.length}`);
  });

  it('If-None-Match and If-Modified-Since: 304 while current, 200 once the blob changed', async () => {
    const small = Buffer.from('revalidated');
    const first = await put('revalidate', small);
    const etag = first.headers.get('etag') ?? '';
    const read = await get('revalidate');
    const lastModified = read.response.headers.get('last-modified') ?? '';
    const conditions: Array<Record<string, string>> = [
      { 'if-none-match': etag },
      { 'if-modified-since': lastModified },
    ];
    for (const headers of conditions) {
      const notModified = await get('revalidate', headers);
      expect(notModified.response.status).toBe(304);
      expect(notModified.response.headers.get('etag')).toBe(etag);
      expect(notModified.body.length).toBe(0);
    }
    const newer = Buffer.from('revalidated, and changed');
    await put('revalidate', newer);
    const changed = await get('revalidate', { 'if-none-match': etag });
    expect(changed.response.status).toBe(200);
    expect(changed.body.toString()).toBe(newer.toString());
    expect((await get('revalidate', { 'if-none-match': etagOf(newer) })).response.status).toBe(304);
  });

  it('If-Range with an old ETag sends the whole new version', async () => {
    const old = await put('if-range', 'abcdefghij');
    const oldTag = old.headers.get('etag') ?? '';
    expect((await get('if-range', { range: 'bytes=0-1', 'if-range': oldTag })).body.toString()).toBe('ab');
    await put('if-range', 'ABCDEFGHIJ');
    const whole = await get('if-range', { range: 'bytes=0-1', 'if-range': oldTag });
    expect(whole.response.status).toBe(200);
    expect(whole.body.toString()).toBe('ABCDEFGHIJ');
  });
});

describe('reads racing writes', () => {
  it.each([
    ['small', 3_000, 5_000],
    ['large', READ_CHUNK_BYTES + 3_000, 2 * READ_CHUNK_BYTES + 5_000],
  ])('%s blobs: every read is one whole version, its ETag and length with it', async (kind, sizeA, sizeB) => {
    const id = `race-${kind}`;
    const versions = [randomBytes(sizeA), randomBytes(sizeB)];
    const tags = new Map(versions.map((version) => [etagOf(version), version]));
    await put(id, versions[0]!);
    let writing = true;
    const writer = (async () => {
      for (let round = 0; round < 30; round += 1) await put(id, versions[(round + 1) % 2]!);
      writing = false;
    })();
    const seen = new Set<string>();
    const reader = async () => {
      while (writing) {
        const { response, body } = await get(id);
        expect(response.status).toBe(200);
        const tag = response.headers.get('etag') ?? '';
        const expected = tags.get(tag);
        expect(expected, `an ETag of neither version: ${tag}`).toBeDefined();
        expect(response.headers.get('content-length')).toBe(String(expected!.length));
        expect(firstDifference(body, expected!)).toBe(-1);
        seen.add(tag);
      }
    };
    await Promise.all([writer, reader(), reader(), reader()]);
    expect(seen.size).toBeGreaterThan(0);
  });

  it('a stream under way keeps sending the version it began with, whatever replaces or deletes it', async () => {
    const old = randomBytes(4 * 1024 * 1024);
    await put('streaming', old);
    await get('streaming'); // the record is open before the slow read starts
    const received: Buffer[] = [];
    const done = new Promise<{ etag: string }>((resolve, reject) => {
      const outgoing = request(url('streaming'), (response) => {
        response.once('data', (chunk: Buffer) => {
          received.push(chunk);
          response.pause();
          response.on('data', (more: Buffer) => received.push(more));
          // While the stream waits, the blob is replaced, then deleted; then the client reads on.
          void (async () => {
            await put('streaming', 'replaced while it streamed');
            await fetch(url('streaming'), { method: 'DELETE' });
            response.resume();
          })().catch(reject);
        });
        response.on('end', () => resolve({ etag: String(response.headers.etag) }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    const { etag } = await done;
    expect(etag).toBe(etagOf(old));
    expect(firstDifference(Buffer.concat(received), old)).toBe(-1);
    expect((await get('streaming')).response.status).toBe(404);
  });
});

describe('a client that goes away mid-stream', () => {
  it('leaves the open record usable: the next reads get every byte', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    await put('abandoned', body);
    await get('abandoned');
    for (let round = 0; round < 3; round += 1) {
      await new Promise<void>((resolve, reject) => {
        const outgoing = request(url('abandoned'), (response) => {
          response.once('data', () => {
            outgoing.destroy();
            resolve();
          });
        });
        outgoing.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ECONNRESET') reject(error);
        });
        outgoing.end();
      });
      const { response, body: read } = await get('abandoned');
      expect(response.status).toBe(200);
      expect(firstDifference(read, body)).toBe(-1);
    }
  });
});

describe('open records at rest', () => {
  it('closes every record file once no read has used it for a while', async () => {
    await put('idle', 'read once');
    expect((await get('idle')).body.toString()).toBe('read once');
    await eventually(
      'no record is open',
      () => openFilesUnder(server.dataDir),
      (open) => open.length === 0,
      { timeoutMs: 10_000 },
    );
  });

  it('closes them when the server stops, and a restart serves every size it wrote', async () => {
    const dataDir = await scratchDir('fast-reads-restart');
    const first = await startBlobServer(dataDir);
    const bodies = [
      randomBytes(0),
      randomBytes(1),
      randomBytes(4096),
      randomBytes(64 * 1024),
      randomBytes(70_000),
    ];
    try {
      for (const [index, body] of bodies.entries()) {
        const stored = await fetch(`${first.url}/blobs/b${index}`, { method: 'PUT', body });
        expect(stored.status).toBe(201);
        await fetch(`${first.url}/blobs/b${index}`).then((response) => response.arrayBuffer());
      }
    } finally {
      await first.close();
    }
    expect(await openFilesUnder(dataDir)).toEqual([]);
    const second = await startBlobServer(dataDir);
    try {
      for (const [index, body] of bodies.entries()) {
        const response = await fetch(`${second.url}/blobs/b${index}`);
        expect(response.headers.get('etag')).toBe(etagOf(body));
        expect(firstDifference(Buffer.from(await response.arrayBuffer()), body)).toBe(-1);
      }
    } finally {
      await second.close();
      await removeDir(dataDir);
    }
  });
});
