// Ids that differ only in case never share a file on a case-insensitive file system. The store probes the file
// system at start-up; when it folds case, record names are encoded (ids.ts): a capital becomes `~` and its
// small letter, and a name that would pass 255 bytes is a cut, small-letter id with `~~` and the id's SHA-256.
// Shown: the encoding as a property (it round-trips, stays within 255 bytes, and no two ids' names fold to
// one), the store with the probe's answer injected, and on a real case-folding file system where the kernel
// has one (a tmpfs mounted with `casefold`; skipped when that mount is refused).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { invalidIdReason } from '@backend-rebase/blob-contract';
import { probeCaseSensitivity } from '../src/storage/blob-store.js';
import { fileNameOf, folderOf, HASHED, idOfFileName } from '../src/storage/ids.js';
import { removeDir, scratchDir } from './support/blob-server.js';
import { startFaultyBlobServer } from './support/storage-faults.js';
import { tmpfsOfThisFile } from './support/tmpfs.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

const ID_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-';
const ids = fc
  .oneof(
    fc.string({ unit: fc.constantFrom(...ID_CHARACTERS), minLength: 1, maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...ID_CHARACTERS), minLength: 100, maxLength: 255 }),
  )
  .filter((id) => invalidIdReason(id, 255) === undefined);

/** The id a name stands for, the header's id standing in for a hashed name. */
function decode(name: string, idInHeader: string): string | undefined {
  const named = idOfFileName(name, false);
  if (named !== HASHED) return named;
  return fileNameOf(idInHeader, false) === name ? idInHeader : undefined;
}

describe('record names on a case-insensitive file system', () => {
  it('round-trip, fit in 255 bytes at the longest MAX_ID_LENGTH, and never fold to one name', () => {
    fc.assert(
      fc.property(ids, ids, (a, b) => {
        const name = fileNameOf(a, false);
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
        expect(name).toBe(name.toLowerCase());
        expect(decode(name, a)).toBe(a);
        if (a !== b) expect(fileNameOf(b, false).toLowerCase()).not.toBe(name.toLowerCase());
      }),
      { numRuns: 2000 },
    );
    // Names no id has are told apart from ids.
    expect(idOfFileName('Abc', false)).toBeUndefined();
    expect(idOfFileName('a~1', false)).toBeUndefined();
    expect(idOfFileName('~abc', false)).toBe('Abc');
    expect(idOfFileName('Abc', true)).toBe('Abc');
    expect(fileNameOf('Abc', true)).toBe('Abc');
  });

  it('ids differing only in case round-trip in names that differ in more than case', () => {
    fc.assert(
      fc.property(ids, (id) => {
        const flipped = [...id]
          .map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
          .join('');
        if (flipped === id) return;
        expect(fileNameOf(flipped, false).toLowerCase()).not.toBe(fileNameOf(id, false).toLowerCase());
      }),
    );
  });

  it('the probe finds this temp folder case-sensitive', async () => {
    const dir = await scratchDir('probe');
    dirs.push(dir);
    expect(probeCaseSensitivity(dir)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('the store told its file system folds case', () => {
  it('keeps Abc and abc apart, before and after a restart, long ids included', async () => {
    const dataDir = await scratchDir('case-insensitive');
    dirs.push(dataDir);
    const long = `${'Ab'.repeat(127)}C`; // 255 characters: its ~-encoded name would be 383 bytes
    const options = { MAX_ID_LENGTH: 255 };
    const first = await startFaultyBlobServer(dataDir, options, { caseSensitive: false });
    try {
      for (const id of ['Abc', 'abc', 'ABC', long]) {
        expect(
          (await fetch(`${first.url}/blobs/${id}`, { method: 'PUT', body: `body of ${id}` })).status,
        ).toBe(201);
      }
      expect(first.logLines().find((line) => line.message === 'record file names')).toMatchObject({
        caseSensitive: false,
      });
      const names = (await readdir(path.join(dataDir, 'blobs', folderOf('Abc')))).concat(
        await readdir(path.join(dataDir, 'blobs', folderOf('abc'))),
      );
      expect(names).toEqual(expect.arrayContaining(['~abc', 'abc']));
      const longName = await readdir(path.join(dataDir, 'blobs', folderOf(long)));
      expect(longName).toEqual([fileNameOf(long, false)]);
      expect(longName[0]).toContain('~~');
    } finally {
      await first.close();
    }
    const second = await startFaultyBlobServer(dataDir, options, { caseSensitive: false });
    try {
      for (const id of ['Abc', 'abc', 'ABC', long]) {
        expect(await (await fetch(`${second.url}/blobs/${id}`)).text()).toBe(`body of ${id}`);
      }
      const { data } = (await (await fetch(`${second.url}/internal/blobs`)).json()) as {
        data: Array<{ id: string }>;
      };
      expect(data.map((entry) => entry.id).sort()).toEqual(['ABC', 'Abc', 'abc', long].sort());
      expect((await fetch(`${second.url}/blobs/Abc`, { method: 'DELETE' })).status).toBe(204);
      expect(await (await fetch(`${second.url}/blobs/abc`)).text()).toBe('body of abc');
    } finally {
      await second.close();
    }
  });
});

describe('on a real case-folding file system', () => {
  const tmpfs = tmpfsOfThisFile(
    'casefold,size=16m',
    'this kernel mounts no case-folding tmpfs (mount -t tmpfs -o casefold was refused)',
  );

  it('the probe finds it case-insensitive and Abc and abc stay two blobs', async (context) => {
    const { mountPoint } = tmpfs;
    if (mountPoint === undefined) {
      context.skip(tmpfs.skipReason);
      return;
    }
    const server = await startFaultyBlobServer(path.join(mountPoint, 'data'));
    try {
      expect(server.logLines().find((line) => line.message === 'record file names')).toMatchObject({
        caseSensitive: false,
      });
      await fetch(`${server.url}/blobs/Abc`, { method: 'PUT', body: 'upper' });
      await fetch(`${server.url}/blobs/abc`, { method: 'PUT', body: 'lower' });
      expect(await (await fetch(`${server.url}/blobs/Abc`)).text()).toBe('upper');
      expect(await (await fetch(`${server.url}/blobs/abc`)).text()).toBe('lower');
    } finally {
      await server.close();
    }
  });
});
