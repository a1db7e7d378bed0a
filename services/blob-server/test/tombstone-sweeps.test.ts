// Tombstone sweeps never overlap: a sweep asked for while one runs joins it (the store, with a file layer whose
// removals wait until the test releases them). No sleeps: the test decides when each removal ends. That the
// periodic sweep is not started again while one runs is the kit's addPeriodicJob guarantee, tested there.
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../src/storage/blob-store.js';
import { defaultFileIo } from '../src/storage/file-io.js';
import { removeDir, scratchDir } from './support/blob-server.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Waits, a turn of the event loop at a time, until `state` holds (the file system answers off the loop). */
async function until(state: () => boolean): Promise<void> {
  for (let turns = 0; !state(); turns += 1) {
    if (turns > 10_000) throw new Error('the state never came');
    await settle();
  }
}

describe('BlobStore.expireTombstones', () => {
  it('a sweep asked for while one runs joins it instead of running beside it', async () => {
    const dataDir = await scratchDir('sweeps');
    dirs.push(dataDir);
    let now = Date.now();
    const removals: Array<{ file: string; release: () => void }> = [];
    let blockRemovals = false;
    const store = await BlobStore.open({
      dataDir,
      quotaBytes: 1024 * 1024,
      maxBlobsInFolder: 100,
      maxTombstones: 100_000,
      maxIdLength: 200,
      fsync: false,
      tombstoneTtlMs: 60_000,
      logger: captureLogger().logger,
      now: () => now,
      io: {
        ...defaultFileIo,
        remove: async (file) => {
          if (blockRemovals) {
            const gate = deferred();
            removals.push({ file, release: gate.resolve });
            await gate.promise;
          }
          await defaultFileIo.remove(file);
        },
      },
    });
    for (const id of ['a', 'b']) await store.delete({ id, version: now * 1000 });
    now += 61_000;
    blockRemovals = true;

    const first = store.expireTombstones();
    await until(() => removals.length === 1);
    const second = store.expireTombstones();
    await settle();
    // The second call started nothing of its own.
    expect(removals).toHaveLength(1);
    removals[0]?.release();
    await until(() => removals.length === 2);
    removals[1]?.release();
    expect(await first).toBe(2);
    expect(await second).toBe(2);
    expect(store.tombstoneCount).toBe(0);
    // Once it has finished, a new call sweeps again.
    blockRemovals = false;
    expect(await store.expireTombstones()).toBe(0);
  });
});
