// A record warm-up cannot read is moved aside to DATA_DIR/corrupt/<tree>/<folder>/<name> (a unique suffix when
// that name is taken), logged at error level with where it went, and counted nowhere: not in the index, the
// quota or its folder's file count.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderOf } from '../src/storage/ids.js';
import { removeDir, scratchDir, startBlobServer } from './support/blob-server.js';
import { metric } from './support/storage-faults.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

function sameFolderAs(id: string): string {
  for (let n = 0; ; n += 1) {
    const other = `n-${n}`;
    if (folderOf(other) === folderOf(id)) return other;
  }
}

describe('corrupt records at start-up', () => {
  it('are moved to DATA_DIR/corrupt/, logged, and not counted in the index, the quota or their folder', async () => {
    const dataDir = await scratchDir('corrupt-aside');
    dirs.push(dataDir);
    const first = await startBlobServer(dataDir);
    await fetch(`${first.url}/blobs/good`, { method: 'PUT', body: 'fine' });
    await fetch(`${first.url}/blobs/broken`, { method: 'PUT', body: 'this record will lose its tail' });
    const usedByGood = 4 + 'content-type'.length + 'text/plain;charset=UTF-8'.length;
    await first.close();
    const brokenFile = path.join(dataDir, 'blobs', folderOf('broken'), 'broken');
    const brokenBytes = (await readFile(brokenFile)).subarray(0, -5);
    await writeFile(brokenFile, brokenBytes);
    // A corrupt tombstone too, and a file already in corrupt/ under the name the broken record will take.
    const tombstoneFolder = path.join(dataDir, 'tombstones', folderOf('gone'));
    await mkdir(tombstoneFolder, { recursive: true });
    await writeFile(path.join(tombstoneFolder, 'gone'), 'BLOB\0\0\0\x05{oops');
    const aside = path.join(dataDir, 'corrupt', 'blobs', folderOf('broken'));
    await mkdir(aside, { recursive: true });
    await writeFile(path.join(aside, 'broken'), 'an earlier one');

    // One file per folder: had the broken record still been counted, its folder would have no room.
    const second = await startBlobServer(dataDir, { MAX_BLOBS_IN_FOLDER: 1 });
    try {
      expect((await fetch(`${second.url}/blobs/broken`)).status).toBe(404);
      const { data } = (await (await fetch(`${second.url}/internal/blobs`)).json()) as {
        data: Array<{ id: string }>;
      };
      expect(data.map((entry) => entry.id)).toEqual(['good']);
      expect(await metric(second.url, 'blob_bytes_used')).toBe(usedByGood);
      expect(await metric(second.url, 'blob_tombstone_count')).toBe(0);
      expect(
        (await fetch(`${second.url}/blobs/${sameFolderAs('broken')}`, { method: 'PUT', body: 'x' })).status,
      ).toBe(201);

      const moved = await readdir(aside);
      expect(moved).toHaveLength(2);
      const newName = moved.find((name) => name !== 'broken') ?? '';
      expect(newName).toMatch(/^broken\./);
      expect(await readFile(path.join(aside, newName))).toEqual(brokenBytes);
      expect(await readdir(path.join(dataDir, 'corrupt', 'tombstones', folderOf('gone')))).toEqual(['gone']);
      expect(await readdir(path.dirname(brokenFile))).not.toContain('broken');

      const logged = second.logLines().filter((line) => line.message === 'ignoring a corrupt blob record');
      expect(logged.map((line) => [line.level, line.file, line.movedTo])).toEqual(
        expect.arrayContaining([
          ['error', brokenFile, path.join(aside, newName)],
          [
            'error',
            path.join(tombstoneFolder, 'gone'),
            path.join(dataDir, 'corrupt', 'tombstones', folderOf('gone'), 'gone'),
          ],
        ]),
      );
    } finally {
      await second.close();
    }
  });
});
