// DELETE /internal/blobs/:id?version=V: removes exactly that version of a record, data or tombstone, leaving
// nothing behind (no tombstone, its quota and folder slot free), and leaves any other version alone.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, scratchDir, startBlobServer, type RunningBlobServer } from './support/blob-server.js';

let server: RunningBlobServer;

beforeAll(async () => {
  // One file per folder, so a slot that is not given back shows as a 507.
  server = await startBlobServer(await scratchDir('purge'), { MAX_BLOBS_IN_FOLDER: 1 });
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
});

const put = (id: string, body: string, version: number) =>
  fetch(`${server.url}/blobs/${id}`, { method: 'PUT', body, headers: { 'x-blob-version': String(version) } });

const purge = async (id: string, query: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${server.url}/internal/blobs/${id}${query}`, { method: 'DELETE', headers });
  const text = await response.text();
  return {
    status: response.status,
    version: response.headers.get('x-blob-version'),
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
};

const listedIds = async () =>
  ((await (await fetch(`${server.url}/internal/blobs`)).json()) as { data: Array<{ id: string }> }).data.map(
    (entry) => entry.id,
  );

const bytesUsed = async () =>
  Number(/^blob_bytes_used (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);

const recordFiles = async () =>
  (await readdir(path.join(server.dataDir, 'blobs'), { recursive: true })).filter((file) =>
    /^[0-9a-f]\/[0-9a-f]{2}\/./.test(file),
  );

/** Another id that lands in the same storage folder as `id`. */
function neighbourOf(id: string): string {
  const folder = (name: string) => createHash('md5').update(name).digest('hex').slice(0, 3);
  for (let n = 0; ; n += 1) if (folder(`n-${n}`) === folder(id) && `n-${n}` !== id) return `n-${n}`;
}

describe('DELETE /internal/blobs/:id?version=', () => {
  it('removes a blob at exactly that version, freeing its quota and folder slot, leaving no tombstone', async () => {
    const usedBefore = await bytesUsed();
    expect((await put('copy', 'misplaced copy', 40)).status).toBe(201);
    const neighbour = neighbourOf('copy');
    expect((await put(neighbour, 'no room', 1)).status).toBe(507);

    expect(await purge('copy', '?version=40')).toEqual({ status: 204, version: null, body: undefined });
    const read = await fetch(`${server.url}/blobs/copy`);
    expect([read.status, read.headers.get('x-blob-version')]).toEqual([404, null]);
    expect(await listedIds()).not.toContain('copy');
    expect(await bytesUsed()).toBe(usedBefore);
    expect(await recordFiles()).toEqual([]);
    // No tombstone: any version may be written again, and the folder has room.
    expect((await put('copy', 'older is fine now', 1)).status).toBe(201);
    expect((await purge('copy', '?version=1')).status).toBe(204);
    expect((await put(neighbour, 'room now', 1)).status).toBe(201);
    expect((await purge(neighbour, '?version=1')).status).toBe(204);
  });

  it('removes a tombstone the same way', async () => {
    await fetch(`${server.url}/blobs/gone`, { method: 'DELETE', headers: { 'x-blob-version': '70' } });
    expect(await listedIds()).toContain('gone');

    expect((await purge('gone', '?version=70')).status).toBe(204);
    const read = await fetch(`${server.url}/blobs/gone`);
    expect([read.status, read.headers.get('x-blob-version')]).toEqual([404, null]);
    expect(await listedIds()).not.toContain('gone');
    expect(await recordFiles()).toEqual([]);
  });

  it('leaves another version alone: 409 with the stored version', async () => {
    await put('newer', 'written after the rebalancer looked', 90);
    expect(await purge('newer', '?version=80')).toMatchObject({
      status: 409,
      version: '90',
      body: {
        detail: 'the record of "newer" has version 90, not 80; nothing was removed',
        storedVersion: 90,
      },
    });
    expect(await (await fetch(`${server.url}/blobs/newer`)).text()).toBe(
      'written after the rebalancer looked',
    );
    expect((await purge('newer', '?version=90')).status).toBe(204);
  });

  it('404 when there is no record', async () => {
    expect(await purge('absent', '?version=1')).toMatchObject({
      status: 404,
      version: null,
      body: { detail: 'there is no record with id "absent"' },
    });
  });

  it.each([
    ['a bad id', 'i'.repeat(201), '?version=1', 'the blob id is 201 characters long; MAX_ID_LENGTH is 200'],
    ['a bad id', 'a%20b', '?version=1', 'the blob id "a b" may only contain A-Z a-z 0-9 . _ -'],
    ['no version', 'x', '', 'version'],
    ['a version that is not a number', 'x', '?version=abc', 'version'],
    ['a negative version', 'x', '?version=-1', 'version'],
    ['a fractional version', 'x', '?version=1.5', 'version'],
    ['a version past 2^53', 'x', '?version=9007199254740993', 'version'],
  ])('400 for %s', async (_, id, query, detail) => {
    const answer = await purge(id, query);
    expect(answer.status).toBe(400);
    expect(answer.body?.detail).toContain(detail);
  });

  it('is guarded like every /internal route', async () => {
    const dataDir = await scratchDir('purge-guarded');
    const guarded = await startBlobServer(dataDir, { INTERNAL_TOKEN: 's3cret' });
    try {
      await fetch(`${guarded.url}/blobs/kept`, {
        method: 'PUT',
        body: 'x',
        headers: { 'x-blob-version': '5' },
      });
      const refused = await fetch(`${guarded.url}/internal/blobs/kept?version=5`, { method: 'DELETE' });
      expect(refused.status).toBe(401);
      expect((await fetch(`${guarded.url}/blobs/kept`)).status).toBe(200);
      const allowed = await fetch(`${guarded.url}/internal/blobs/kept?version=5`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer s3cret' },
      });
      expect(allowed.status).toBe(204);
    } finally {
      await guarded.close();
      await removeDir(dataDir);
    }
  });
});
