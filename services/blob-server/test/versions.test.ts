// Versions and tombstones (what replication builds on), the /internal/blobs listing, and the /internal guard.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, scratchDir, startBlobServer, type RunningBlobServer } from './support/blob-server.js';

let server: RunningBlobServer;

beforeAll(async () => {
  server = await startBlobServer(await scratchDir('versions'));
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
});

const url = (id: string) => `${server.url}/blobs/${id}`;

async function write(id: string, body: string, version?: number) {
  const headers: Record<string, string> = version === undefined ? {} : { 'x-blob-version': String(version) };
  const response = await fetch(url(id), { method: 'PUT', body, headers });
  return {
    status: response.status,
    version: response.headers.get('x-blob-version'),
    body: await response.json(),
  };
}

async function remove(id: string, version?: number) {
  const headers: Record<string, string> = version === undefined ? {} : { 'x-blob-version': String(version) };
  const response = await fetch(url(id), { method: 'DELETE', headers });
  return { status: response.status, version: response.headers.get('x-blob-version') };
}

async function read(id: string) {
  const response = await fetch(url(id));
  return {
    status: response.status,
    version: response.headers.get('x-blob-version'),
    text: await response.text(),
  };
}

async function listing(query = '') {
  return (await (await fetch(`${server.url}/internal/blobs${query}`)).json()) as {
    data: Array<{ id: string; size: number; etag: string | null; version: number; deleted: boolean }>;
    next: string | null;
  };
}

describe('versions', () => {
  it('stores the writer\u2019s version and returns it on GET and HEAD', async () => {
    expect(await write('v', 'ten', 10)).toMatchObject({ status: 201, version: '10' });
    expect(await read('v')).toEqual({ status: 200, version: '10', text: 'ten' });
    expect((await fetch(url('v'), { method: 'HEAD' })).headers.get('x-blob-version')).toBe('10');
  });

  it('ignores a write whose version is not newer, answering 200 with the stored version', async () => {
    const older = await write('v', 'five', 5);
    expect(older).toMatchObject({ status: 200, version: '10' });
    expect(older.body).toMatchObject({ id: 'v', size: 3 });
    expect(await write('v', 'ten again', 10)).toMatchObject({ status: 200, version: '10' });
    expect(await read('v')).toMatchObject({ text: 'ten' });

    expect(await write('v', 'eleven', 11)).toMatchObject({ status: 200, version: '11' });
    expect(await read('v')).toMatchObject({ text: 'eleven', version: '11' });
  });

  it('assigns a version from the clock in microseconds when the writer sends none', async () => {
    const before = Date.now() * 1000;
    const written = await write('clocked', 'x');
    expect(Number(written.version)).toBeGreaterThanOrEqual(before);
    expect(Number(written.version)).toBeLessThanOrEqual(Date.now() * 1000);
    // An unversioned write always lands on top, even over a version from a faster clock.
    await write('clocked', 'future', Number.MAX_SAFE_INTEGER - 10);
    expect(await write('clocked', 'direct')).toMatchObject({
      status: 200,
      version: String(Number.MAX_SAFE_INTEGER - 9),
    });
  });

  it('refuses a version that is not a non-negative integer', async () => {
    for (const version of ['-1', '1.5', 'abc', '99999999999999999']) {
      const response = await fetch(url('bad-version'), {
        method: 'PUT',
        body: 'x',
        headers: { 'x-blob-version': version },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        detail: `X-Blob-Version must be an integer from 0 to 9007199254740991, got ${JSON.stringify(version)}`,
      });
    }
  });
});

describe('tombstones', () => {
  it('a versioned delete older than the blob changes nothing', async () => {
    await write('t', 'alive', 20);
    expect(await remove('t', 15)).toEqual({ status: 204, version: '20' });
    expect(await read('t')).toMatchObject({ status: 200, text: 'alive' });
  });

  it('a newer delete leaves a tombstone that an older write cannot bring back', async () => {
    expect(await remove('t', 30)).toEqual({ status: 204, version: '30' });
    expect((await read('t')).status).toBe(404);
    expect((await listing()).data.find((entry) => entry.id === 't')).toEqual({
      id: 't',
      size: 0,
      etag: null,
      version: 30,
      deleted: true,
    });

    const late = await write('t', 'late replica', 25);
    expect(late).toMatchObject({ status: 200, version: '30', body: { id: 't', size: 0, etag: null } });
    expect((await read('t')).status).toBe(404);

    expect(await write('t', 'reborn', 31)).toMatchObject({ status: 201, version: '31' });
    expect(await read('t')).toMatchObject({ status: 200, text: 'reborn' });
  });

  it('a versioned delete of an id never seen leaves a tombstone too', async () => {
    expect(await remove('ghost', 50)).toEqual({ status: 204, version: '50' });
    expect(await write('ghost', 'too old', 49)).toMatchObject({ status: 200 });
    expect((await read('ghost')).status).toBe(404);
  });

  it('an unversioned write after a tombstone creates the blob anew', async () => {
    await write('phoenix', 'one');
    await remove('phoenix');
    expect((await listing()).data.find((entry) => entry.id === 'phoenix')?.deleted).toBe(true);
    expect((await write('phoenix', 'two')).status).toBe(201);
  });

  it('an unversioned delete of what is not there leaves nothing behind', async () => {
    expect(await remove('nothing')).toEqual({ status: 204, version: null });
    expect((await listing()).data.some((entry) => entry.id === 'nothing')).toBe(false);
  });

  it('tombstones older than TOMBSTONE_TTL are removed at start-up, files and all', async () => {
    const dataDir = await scratchDir('ttl');
    let offset = 0;
    const first = await startBlobServer(dataDir, { TOMBSTONE_TTL: 60_000 }, () => Date.now() + offset);
    await fetch(`${first.url}/blobs/old-tombstone`, { method: 'PUT', body: 'x' });
    await fetch(`${first.url}/blobs/old-tombstone`, { method: 'DELETE' });
    await fetch(`${first.url}/blobs/kept`, { method: 'PUT', body: 'x' });
    await first.close();

    offset = 61_000;
    const second = await startBlobServer(dataDir, { TOMBSTONE_TTL: 60_000 }, () => Date.now() + offset);
    const { data } = (await (await fetch(`${second.url}/internal/blobs`)).json()) as {
      data: Array<{ id: string }>;
    };
    await second.close();
    expect(data.map((entry) => entry.id)).toEqual(['kept']);
    const files = await readdir(path.join(dataDir, 'blobs'), { recursive: true });
    expect(files.filter((file) => file.endsWith('old-tombstone'))).toEqual([]);
    await removeDir(dataDir);
  });

  it('and by the periodic sweep while running', async () => {
    const dataDir = await scratchDir('sweep');
    const running = await startBlobServer(dataDir, { TOMBSTONE_TTL: 100 });
    try {
      await fetch(`${running.url}/blobs/short-lived`, { method: 'PUT', body: 'x' });
      await fetch(`${running.url}/blobs/short-lived`, { method: 'DELETE' });
      const deadline = Date.now() + 5_000;
      let ids: string[] = ['short-lived'];
      while (ids.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const page = (await (await fetch(`${running.url}/internal/blobs`)).json()) as {
          data: Array<{ id: string }>;
        };
        ids = page.data.map((entry) => entry.id);
      }
      expect(ids).toEqual([]);
    } finally {
      await running.close();
      await removeDir(dataDir);
    }
  });
});

describe('GET /internal/blobs', () => {
  it('pages through every record once, in id order', async () => {
    const dataDir = await scratchDir('paging');
    const paged = await startBlobServer(dataDir);
    try {
      const ids = Array.from({ length: 25 }, (_, index) => `page-${String(index).padStart(2, '0')}`);
      await Promise.all(ids.map((id) => fetch(`${paged.url}/blobs/${id}`, { method: 'PUT', body: id })));
      await fetch(`${paged.url}/blobs/page-03`, { method: 'DELETE' });

      const seen: Array<{ id: string; deleted: boolean; size: number; etag: string | null }> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '?limit=10' : `?limit=10&cursor=${cursor}`;
        const page = (await (await fetch(`${paged.url}/internal/blobs${query}`)).json()) as {
          data: Array<{ id: string; deleted: boolean; size: number; etag: string | null }>;
          next: string | null;
        };
        seen.push(...page.data);
        cursor = page.next;
        pages += 1;
      } while (cursor !== null);

      expect(pages).toBe(3);
      expect(seen.map((entry) => entry.id)).toEqual(ids);
      expect(seen.filter((entry) => entry.deleted).map((entry) => entry.id)).toEqual(['page-03']);
      expect(seen[0]?.size).toBe(7);
      expect(seen[0]?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    } finally {
      await paged.close();
      await removeDir(dataDir);
    }
  });

  it.each(['0', '10001', 'ten'])('refuses limit=%s', async (limit) => {
    const response = await fetch(`${server.url}/internal/blobs?limit=${limit}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toContain('querystring/limit');
  });

  it('requires the bearer token when INTERNAL_TOKEN is set', async () => {
    const dataDir = await scratchDir('guarded');
    const guarded = await startBlobServer(dataDir, { INTERNAL_TOKEN: 's3cret' });
    try {
      expect((await fetch(`${guarded.url}/internal/blobs`)).status).toBe(401);
      const wrong = await fetch(`${guarded.url}/internal/blobs`, {
        headers: { authorization: 'Bearer nope' },
      });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${guarded.url}/internal/blobs`, {
        headers: { authorization: 'Bearer s3cret' },
      });
      expect(right.status).toBe(200);
      // The public API needs no token.
      expect((await fetch(`${guarded.url}/blobs/x`, { method: 'PUT', body: 'x' })).status).toBe(201);
    } finally {
      await guarded.close();
      await removeDir(dataDir);
    }
  });
});

describe('readiness and metrics', () => {
  it('is ready once warmed up, and reports its storage', async () => {
    expect(await (await fetch(`${server.url}/ready`)).json()).toMatchObject({ status: 'pass' });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of [
      'blob_bytes_used',
      'blob_bytes_quota',
      'blob_count',
      'blob_write_bytes_total',
      'blob_read_bytes_total',
    ]) {
      expect(metrics).toMatch(new RegExp(`^${name} \\d+`, 'm'));
    }
    expect(metrics).toMatch(/^blob_bytes_quota 1073741824$/m);
  });
});
