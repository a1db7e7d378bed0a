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
    body: (await response.json()) as Record<string, unknown>,
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
    data: Array<{
      id: string;
      size: number;
      etag: string | null;
      version: number;
      deleted: boolean;
      modified: number;
    }>;
    next: string | null;
  };
}

describe('versions', () => {
  it('stores the writer\u2019s version and returns it on GET and HEAD', async () => {
    expect(await write('v', 'ten', 10)).toMatchObject({ status: 201, version: '10' });
    expect(await read('v')).toEqual({ status: 200, version: '10', text: 'ten' });
    expect((await fetch(url('v'), { method: 'HEAD' })).headers.get('x-blob-version')).toBe('10');
  });

  it('refuses an older version with 409 naming both versions, and changes nothing', async () => {
    const older = await write('v', 'five', 5);
    expect(older).toMatchObject({
      status: 409,
      version: '10',
      body: {
        status: 409,
        detail: 'X-Blob-Version 5 is older than the stored version 10 (a write); nothing changed',
        storedVersion: 10,
        storedDeleted: false,
      },
    });
    expect(await read('v')).toEqual({ status: 200, version: '10', text: 'ten' });
  });

  it('takes the same version again as a retry: 200 with what is stored, whatever the body', async () => {
    const stored = await write('v', 'ten', 10);
    expect(stored).toMatchObject({ status: 200, version: '10' });
    const retry = await write('v', 'a different body', 10);
    expect(retry).toEqual({ ...stored, body: { id: 'v', size: 3, etag: stored.body.etag } });
    expect(await read('v')).toEqual({ status: 200, version: '10', text: 'ten' });
  });

  it('applies a newer version', async () => {
    expect(await write('v', 'eleven', 11)).toMatchObject({ status: 200, version: '11' });
    expect(await read('v')).toEqual({ status: 200, version: '11', text: 'eleven' });
  });

  it('assigns a version from the clock in microseconds when the writer sends none', async () => {
    const before = Date.now() * 1000;
    const written = await write('clocked', 'x');
    expect(Number(written.version)).toBeGreaterThanOrEqual(before);
    expect(Number(written.version)).toBeLessThanOrEqual(Date.now() * 1000);
    // An unversioned write always lands on top, even over a version from a faster clock.
    const ahead = Date.now() * 1000 + 3_600_000_000;
    await write('clocked', 'from a clock an hour ahead', ahead);
    expect(await write('clocked', 'direct')).toMatchObject({ status: 200, version: String(ahead + 1) });
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

  it('refuses a version more than 24 hours ahead of the node\u2019s clock, naming the limit', async () => {
    const dataDir = await scratchDir('ahead');
    const nowMs = 1_800_000_000_000;
    const limit = nowMs * 1000 + 24 * 3_600_000_000;
    const clocked = await startBlobServer(dataDir, {}, () => nowMs);
    try {
      const send = (method: string, id: string, version: number) =>
        fetch(`${clocked.url}/blobs/${id}`, {
          method,
          headers: { 'x-blob-version': String(version) },
          ...(method === 'PUT' ? { body: 'x' } : {}),
        });
      for (const method of ['PUT', 'DELETE']) {
        const refused = await send(method, `far-${method}`, limit + 1);
        expect(refused.status).toBe(400);
        expect(((await refused.json()) as { detail: string }).detail).toBe(
          `X-Blob-Version ${limit + 1} is more than 24 hours ahead of this node's clock: at most ${limit} (microseconds since the epoch) is accepted now`,
        );
        expect((await send(method, `far-${method}`, limit)).status).toBe(method === 'PUT' ? 201 : 204);
      }
      const listed = (await (await fetch(`${clocked.url}/internal/blobs`)).json()) as {
        data: Array<{ id: string; version: number }>;
      };
      expect(listed.data.map(({ id, version }) => [id, version])).toEqual([
        ['far-DELETE', limit],
        ['far-PUT', limit],
      ]);
    } finally {
      await clocked.close();
      await removeDir(dataDir);
    }
  });
});

describe('tombstones', () => {
  it('a versioned delete older than the blob is refused with 409, and the blob stays', async () => {
    await write('t', 'alive', 20);
    expect(await remove('t', 15)).toMatchObject({ status: 409, version: '20' });
    expect(await read('t')).toMatchObject({ status: 200, text: 'alive' });
  });

  it('a delete at the version of the stored data is a conflict, not a retry', async () => {
    const response = await fetch(url('t'), { method: 'DELETE', headers: { 'x-blob-version': '20' } });
    expect(response.status).toBe(409);
    expect(response.headers.get('x-blob-version')).toBe('20');
    expect(((await response.json()) as { detail: string }).detail).toBe(
      'X-Blob-Version 20 is stored already as a write, and this is a delete; nothing changed',
    );
    expect(await read('t')).toMatchObject({ status: 200, text: 'alive' });
  });

  it('a newer delete leaves a tombstone: 404 with its version, listed as deleted', async () => {
    expect(await remove('t', 30)).toEqual({ status: 204, version: '30' });
    expect(await read('t')).toMatchObject({ status: 404, version: '30' });
    const head = await fetch(url('t'), { method: 'HEAD' });
    expect([head.status, head.headers.get('x-blob-version')]).toEqual([404, '30']);
    expect((await listing()).data.find((entry) => entry.id === 't')).toEqual({
      id: 't',
      size: 0,
      etag: null,
      version: 30,
      deleted: true,
      modified: expect.any(Number) as number,
    });
  });

  it('an id never stored is a 404 without a version', async () => {
    const missing = await read('never-stored');
    expect(missing).toMatchObject({ status: 404, version: null });
    const head = await fetch(url('never-stored'), { method: 'HEAD' });
    expect([head.status, head.headers.get('x-blob-version')]).toEqual([404, null]);
  });

  it('the same delete again is a retry: 204 with its version, nothing changes', async () => {
    const before = (await listing()).data.find((entry) => entry.id === 't');
    expect(await remove('t', 30)).toEqual({ status: 204, version: '30' });
    expect((await listing()).data.find((entry) => entry.id === 't')).toEqual(before);
  });

  it('an older write, or one at the tombstone\u2019s version, cannot bring the blob back', async () => {
    expect(await write('t', 'late replica', 25)).toMatchObject({
      status: 409,
      version: '30',
      body: { detail: 'X-Blob-Version 25 is older than the stored version 30 (a delete); nothing changed' },
    });
    expect(await write('t', 'same stamp', 30)).toMatchObject({
      status: 409,
      version: '30',
      body: {
        detail: 'X-Blob-Version 30 is stored already as a delete, and this is a write; nothing changed',
        storedDeleted: true,
      },
    });
    expect((await read('t')).status).toBe(404);

    expect(await write('t', 'reborn', 31)).toMatchObject({ status: 201, version: '31' });
    expect(await read('t')).toMatchObject({ status: 200, text: 'reborn' });
  });

  it('a versioned delete of an id never seen leaves a tombstone too', async () => {
    expect(await remove('ghost', 50)).toEqual({ status: 204, version: '50' });
    expect(await write('ghost', 'too old', 49)).toMatchObject({ status: 409, version: '50' });
    expect(await read('ghost')).toMatchObject({ status: 404, version: '50' });
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

  it('an unversioned delete of a tombstone changes nothing and names its version', async () => {
    expect(await remove('ghost')).toEqual({ status: 204, version: '50' });
    expect((await listing()).data.find((entry) => entry.id === 'ghost')?.version).toBe(50);
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
  it('in a cluster, tombstones outlive TOMBSTONE_TTL: neither a restart nor the sweep drops them', async () => {
    const dataDir = await scratchDir('cluster-ttl');
    // Only the setting matters: nothing listens there, so the node's announcements fail (and retry) until it closes.
    const cluster = { TOMBSTONE_TTL: 100, LOAD_BALANCER_URL: 'http://127.0.0.1:1' };
    let offset = 0;
    const first = await startBlobServer(dataDir, cluster, () => Date.now() + offset);
    await fetch(`${first.url}/blobs/kept-tombstone`, { method: 'PUT', body: 'x' });
    await fetch(`${first.url}/blobs/kept-tombstone`, { method: 'DELETE' });
    await first.close();

    offset = 86_400_000;
    const second = await startBlobServer(dataDir, cluster, () => Date.now() + offset);
    try {
      const listed = async () =>
        ((await (await fetch(`${second.url}/internal/blobs`)).json()) as { data: Array<{ id: string }> })
          .data;
      expect((await listed()).map((entry) => entry.id)).toEqual(['kept-tombstone']);
      // A standalone node with this TTL sweeps every 100 ms (the test above): give it several chances.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await listed()).map((entry) => entry.id)).toEqual(['kept-tombstone']);
      expect(
        (await fetch(`${second.url}/blobs/kept-tombstone`)).headers.get('x-blob-version'),
      ).not.toBeNull();
    } finally {
      await second.close();
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

  it('says when the node stored each record (modified, its own clock in ms), and lists ids added mid-way in place', async () => {
    const dataDir = await scratchDir('modified');
    let nowMs = 1_800_000_000_000;
    const clocked = await startBlobServer(dataDir, {}, () => nowMs);
    const list = async (query: string) =>
      (await (await fetch(`${clocked.url}/internal/blobs${query}`)).json()) as {
        data: Array<{ id: string; modified: number; deleted: boolean }>;
        next: string | null;
      };
    try {
      await fetch(`${clocked.url}/blobs/b`, { method: 'PUT', body: 'x' });
      nowMs += 5_000;
      await fetch(`${clocked.url}/blobs/d`, { method: 'PUT', body: 'x', headers: { 'x-blob-version': '7' } });
      nowMs += 5_000;
      await fetch(`${clocked.url}/blobs/b`, { method: 'DELETE' });

      const first = await list('?limit=1');
      expect(first).toEqual({
        data: [expect.objectContaining({ id: 'b', deleted: true, modified: 1_800_000_010_000 })],
        next: 'b',
      });
      // Added between two pages: one before the cursor (not listed on this pass), two after it.
      for (const id of ['a', 'c', 'e'])
        await fetch(`${clocked.url}/blobs/${id}`, { method: 'PUT', body: id });
      const rest = await list('?cursor=b');
      expect(rest.data.map(({ id, modified }) => [id, modified])).toEqual([
        ['c', 1_800_000_010_000],
        ['d', 1_800_000_005_000],
        ['e', 1_800_000_010_000],
      ]);
      expect(rest.next).toBeNull();
    } finally {
      await clocked.close();
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
