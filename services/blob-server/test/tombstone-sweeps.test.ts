// Tombstone sweeps never overlap: the periodic sweep is scheduled only once the one before has finished
// (repeatAfterEach, with timers the test fires by hand), and a sweep asked for while one runs joins it (the
// store, with a file layer whose removals wait until the test releases them). No sleeps: the test decides
// when each timer fires and each removal ends.
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobStore } from '../src/storage/blob-store.js';
import { defaultFileIo } from '../src/storage/file-io.js';
import { repeatAfterEach, type RepeatTimers } from '../src/storage/repeat.js';
import { removeDir, scratchDir } from './support/blob-server.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  const timers: RepeatTimers = {
    setTimeout: (callback) => {
      next += 1;
      pending.set(next, callback);
      return { id: next } as { unref?(): unknown };
    },
    clearTimeout: (timer) => {
      pending.delete((timer as { id: number } | undefined)?.id ?? -1);
    },
  };
  const fireAll = () => {
    const due = [...pending.values()];
    pending.clear();
    for (const callback of due) callback();
  };
  return { timers, pending, fireAll };
}

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

describe('repeatAfterEach', () => {
  it('schedules the next run only after the one before has finished, however often the timer could fire', async () => {
    const { timers, pending, fireAll } = manualTimers();
    let running = 0;
    let most = 0;
    let runs = 0;
    const gates: Array<() => void> = [];
    const stop = repeatAfterEach(
      1000,
      async () => {
        runs += 1;
        running += 1;
        most = Math.max(most, running);
        const gate = deferred();
        gates.push(gate.resolve);
        await gate.promise;
        running -= 1;
      },
      timers,
    );
    expect(pending.size).toBe(1);
    fireAll();
    expect(runs).toBe(1);
    // While the first run is in flight there is no timer to fire: a second run cannot start.
    expect(pending.size).toBe(0);
    fireAll();
    expect(runs).toBe(1);
    gates[0]?.();
    await settle();
    expect(pending.size).toBe(1);
    fireAll();
    expect(runs).toBe(2);
    gates[1]?.();
    await settle();
    stop();
    expect(pending.size).toBe(0);
    expect(most).toBe(1);
  });

  it('a run that fails does not stop the next', async () => {
    const { timers, pending, fireAll } = manualTimers();
    let runs = 0;
    const stop = repeatAfterEach(
      10,
      () => {
        runs += 1;
        return Promise.reject(new Error('disk trouble'));
      },
      timers,
    );
    fireAll();
    await settle();
    expect(pending.size).toBe(1);
    fireAll();
    await settle();
    expect(runs).toBe(2);
    stop();
  });
});

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
