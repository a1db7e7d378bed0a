// Tombstones are not free: each delete of an id the node does not hold leaves one, so they live in a tree of
// their own (DATA_DIR/tombstones/), with their own folder counts and a MAX_TOMBSTONES budget. A flood of such
// deletes can exhaust only that budget (507 naming it), never a blob folder or the quota; the delete of a
// stored blob is never refused for room; a record moving between the trees survives a crash at any point; and
// tombstones of the layout before the split are moved to their tree at start-up.
import { copyFile, mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tombstoneTtlProblem } from '@backend-rebase/blob-contract';
import { folderOf } from '../src/storage/ids.js';
import { startBlobServer, scratchDirsOfThisFile } from './support/blob-server.js';
import { metric } from './support/storage-faults.js';

const newDataDir = scratchDirsOfThisFile();

/** `count` ids that share one storage folder. */
function idsInOneFolder(count: number): string[] {
  const byFolder = new Map<string, string[]>();
  for (let n = 0; ; n += 1) {
    const id = `id-${n}`;
    const ids = byFolder.get(folderOf(id)) ?? [];
    ids.push(id);
    byFolder.set(folderOf(id), ids);
    if (ids.length === count) return ids;
  }
}

const recordFile = (dataDir: string, tree: string, id: string) => path.join(dataDir, tree, folderOf(id), id);
const exists = (file: string) =>
  readdir(path.dirname(file)).then(
    (names) => names.includes(path.basename(file)),
    () => false,
  );
const versioned = (version: number) => ({ 'x-blob-version': String(version) });
const NOW_US = Date.now() * 1000;

describe('the tombstone budget', () => {
  it('deletes of unknown ids never fill a blob folder: a new blob in the same folder is still stored', async () => {
    const [deleted, stored] = idsInOneFolder(2) as [string, string];
    const server = await startBlobServer(await newDataDir('folder'), { MAX_BLOBS_IN_FOLDER: 1 });
    try {
      const del = await fetch(`${server.url}/blobs/${deleted}`, {
        method: 'DELETE',
        headers: versioned(NOW_US),
      });
      expect(del.status).toBe(204);
      const put = await fetch(`${server.url}/blobs/${stored}`, { method: 'PUT', body: 'room' });
      expect(put.status).toBe(201);
      expect(await (await fetch(`${server.url}/blobs/${stored}`)).text()).toBe('room');
      expect(await exists(recordFile(server.dataDir, 'tombstones', deleted))).toBe(true);
      expect(await exists(recordFile(server.dataDir, 'blobs', deleted))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('MAX_TOMBSTONES: a delete that needs one more is 507 naming it; a stored blob can always be deleted', async () => {
    const server = await startBlobServer(await newDataDir('budget'), { MAX_TOMBSTONES: 3 });
    try {
      expect((await fetch(`${server.url}/blobs/kept`, { method: 'PUT', body: 'x' })).status).toBe(201);
      for (const id of ['u1', 'u2', 'u3']) {
        const answer = await fetch(`${server.url}/blobs/${id}`, {
          method: 'DELETE',
          headers: versioned(NOW_US),
        });
        expect(answer.status).toBe(204);
      }
      const refused = await fetch(`${server.url}/blobs/u4`, { method: 'DELETE', headers: versioned(NOW_US) });
      expect(refused.status).toBe(507);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/MAX_TOMBSTONES/);
      expect((await fetch(`${server.url}/blobs/u4`)).status).toBe(404);
      // A newer delete of an id that has a tombstone needs no new one.
      expect(
        (await fetch(`${server.url}/blobs/u1`, { method: 'DELETE', headers: versioned(NOW_US + 1) })).status,
      ).toBe(204);
      // Deleting what was stored is never refused for room, and blobs are never refused for tombstones.
      expect((await fetch(`${server.url}/blobs/kept`, { method: 'DELETE' })).status).toBe(204);
      expect(await metric(server.url, 'blob_tombstone_count')).toBe(4);
      expect((await fetch(`${server.url}/blobs/fresh`, { method: 'PUT', body: 'y' })).status).toBe(201);
      // A write over a tombstone frees its place in the budget.
      expect((await fetch(`${server.url}/blobs/u2`, { method: 'PUT', body: 'back' })).status).toBe(201);
      expect((await fetch(`${server.url}/blobs/u3`, { method: 'PUT', body: 'back' })).status).toBe(201);
      expect(await metric(server.url, 'blob_tombstone_count')).toBe(2);
      expect(
        (await fetch(`${server.url}/blobs/u4`, { method: 'DELETE', headers: versioned(NOW_US) })).status,
      ).toBe(204);
    } finally {
      await server.close();
    }
  });

  it('the tombstone folders have MAX_BLOBS_IN_FOLDER as their own limit', async () => {
    const [first, second] = idsInOneFolder(2) as [string, string];
    const server = await startBlobServer(await newDataDir('tomb-folder'), { MAX_BLOBS_IN_FOLDER: 1 });
    try {
      expect(
        (await fetch(`${server.url}/blobs/${first}`, { method: 'DELETE', headers: versioned(NOW_US) }))
          .status,
      ).toBe(204);
      const refused = await fetch(`${server.url}/blobs/${second}`, {
        method: 'DELETE',
        headers: versioned(NOW_US),
      });
      expect(refused.status).toBe(507);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(
        /tombstone folder.*MAX_BLOBS_IN_FOLDER/,
      );
    } finally {
      await server.close();
    }
  });

  it('counts and places survive a restart: the budget is rebuilt from the tombstone tree', async () => {
    const dataDir = await newDataDir('restart');
    const first = await startBlobServer(dataDir, { MAX_TOMBSTONES: 2 });
    await fetch(`${first.url}/blobs/a`, { method: 'PUT', body: 'x' });
    await fetch(`${first.url}/blobs/a`, { method: 'DELETE' });
    await fetch(`${first.url}/blobs/b`, { method: 'DELETE', headers: versioned(NOW_US) });
    await first.close();
    const second = await startBlobServer(dataDir, { MAX_TOMBSTONES: 2 });
    try {
      expect(await metric(second.url, 'blob_tombstone_count')).toBe(2);
      expect(
        (await fetch(`${second.url}/blobs/c`, { method: 'DELETE', headers: versioned(NOW_US) })).status,
      ).toBe(507);
      const gone = await fetch(`${second.url}/blobs/a`);
      expect(gone.status).toBe(404);
      expect(gone.headers.get('x-blob-version')).not.toBeNull();
    } finally {
      await second.close();
    }
  });
});

describe('moving records between the trees, crash-safely', () => {
  it('a crash between installing a tombstone and removing the blob: the restart keeps the tombstone', async () => {
    const dataDir = await newDataDir('crash-delete');
    const first = await startBlobServer(dataDir);
    await fetch(`${first.url}/blobs/item`, { method: 'PUT', body: 'old', headers: versioned(NOW_US) });
    const blob = recordFile(dataDir, 'blobs', 'item');
    await copyFile(blob, `${blob}.saved`);
    await fetch(`${first.url}/blobs/item`, { method: 'DELETE', headers: versioned(NOW_US + 10) });
    await first.close();
    await rename(`${blob}.saved`, blob); // both records on disk, as a crash in the middle would leave them

    const second = await startBlobServer(dataDir);
    try {
      const answer = await fetch(`${second.url}/blobs/item`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('x-blob-version')).toBe(String(NOW_US + 10));
      expect(await exists(blob)).toBe(false);
      expect(await metric(second.url, 'blob_bytes_used')).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('a crash between installing a blob over a tombstone and removing the tombstone: the restart keeps the blob', async () => {
    const dataDir = await newDataDir('crash-write');
    const first = await startBlobServer(dataDir);
    await fetch(`${first.url}/blobs/item`, { method: 'DELETE', headers: versioned(NOW_US) });
    const tombstone = recordFile(dataDir, 'tombstones', 'item');
    await copyFile(tombstone, `${tombstone}.saved`);
    await fetch(`${first.url}/blobs/item`, { method: 'PUT', body: 'new', headers: versioned(NOW_US + 10) });
    await first.close();
    await rename(`${tombstone}.saved`, tombstone);

    const second = await startBlobServer(dataDir);
    try {
      expect(await (await fetch(`${second.url}/blobs/item`)).text()).toBe('new');
      expect(await exists(tombstone)).toBe(false);
      expect(await metric(second.url, 'blob_tombstone_count')).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('an expired tombstone a crash left beside the older blob still hides it: both go at start-up', async () => {
    const dataDir = await newDataDir('crash-expired');
    const first = await startBlobServer(dataDir, { TOMBSTONE_TTL: 60_000 });
    await fetch(`${first.url}/blobs/item`, { method: 'PUT', body: 'old', headers: versioned(NOW_US) });
    const blob = recordFile(dataDir, 'blobs', 'item');
    await copyFile(blob, `${blob}.saved`);
    await fetch(`${first.url}/blobs/item`, { method: 'DELETE', headers: versioned(NOW_US + 10) });
    await first.close();
    await rename(`${blob}.saved`, blob);

    const later = () => Date.now() + 120_000;
    const second = await startBlobServer(dataDir, { TOMBSTONE_TTL: 60_000 }, later);
    try {
      const answer = await fetch(`${second.url}/blobs/item`);
      expect(answer.status).toBe(404);
      expect(await exists(blob)).toBe(false);
      expect(await exists(recordFile(dataDir, 'tombstones', 'item'))).toBe(false);
      expect(await metric(second.url, 'blob_tombstone_count')).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('a tombstone in the blob tree (the layout before the split) is moved to its tree at start-up', async () => {
    const dataDir = await newDataDir('migrate');
    const first = await startBlobServer(dataDir);
    await fetch(`${first.url}/blobs/legacy`, { method: 'DELETE', headers: versioned(NOW_US) });
    await first.close();
    const tombstone = recordFile(dataDir, 'tombstones', 'legacy');
    const old = recordFile(dataDir, 'blobs', 'legacy');
    await mkdir(path.dirname(old), { recursive: true });
    await rename(tombstone, old);

    const second = await startBlobServer(dataDir, { MAX_BLOBS_IN_FOLDER: 1 });
    try {
      const answer = await fetch(`${second.url}/blobs/legacy`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('x-blob-version')).toBe(String(NOW_US));
      expect(await exists(tombstone)).toBe(true);
      expect(await exists(old)).toBe(false);
      expect(await metric(second.url, 'blob_tombstone_count')).toBe(1);
      // Its old folder is free for a blob.
      expect(
        (await fetch(`${second.url}/blobs/${sameFolderAs('legacy')}`, { method: 'PUT', body: 'z' })).status,
      ).toBe(201);
    } finally {
      await second.close();
    }
  });
});

describe('TOMBSTONE_TTL', () => {
  it('has a floor of one minute', () => {
    expect(tombstoneTtlProblem(59_999)).toMatch(/at least 1m/);
    expect(tombstoneTtlProblem(60_000)).toBeUndefined();
  });
});

function sameFolderAs(id: string): string {
  for (let n = 0; ; n += 1) {
    const other = `n-${n}`;
    if (folderOf(other) === folderOf(id)) return other;
  }
}
