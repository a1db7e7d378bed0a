// External merge sort of a file of lines, bytewise (the order of `LC_ALL=C sort`), in bounded memory.
//
// Phase 1 reads the input run by run into one arena of about `memoryBytes`, sorts each run in memory and writes
// it to a temp folder (runs.ts), on two threads: a worker sorts runs while this thread reads the next
// (run-sorter.ts). Phase 2 merges the runs up to 128 at a time (merge.ts), pass after pass, until one merge can
// write the output; an input that fits in one run is written straight to the output.
//
// What this module guarantees:
//   - memory: one ArrayBuffer, the arena (shared with the worker thread when there is one), allocated once: the
//     budget less a reserve (a quarter, at most 24 MiB) for the JavaScript heap. Its front holds the runs being
//     read and sorted (phase 1: three slots, and room left untouched for the worker thread's own isolate) or
//     the merge's read buffers (phase 2), its back the write buffer. Besides it there are a few objects per run and per buffer of I/O, never one per
//     line, so the heap stays small whatever the input.
//   - the output appears complete or not at all (written to a temporary name, then renamed), and the temp
//     folder is removed on success, on error, and when `signal` aborts (the CLI aborts it on Ctrl-C).
//   - with `unique`, each distinct line is written once (`sort -u`); a last line without a newline gets one.
import { open, rename, rm, stat, access, constants, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './args.js';
import { BufferedWriter } from './buffered-writer.js';
import { fanIn, mergeRuns } from './merge.js';
import type { Progress } from './progress.js';
import { RunSorter } from './run-sorter.js';
import { LineTooLongError, readRun, sortAndWriteRun, type ReadRun, type Slot } from './runs.js';
import { createTempDir, partialOutputPath, removeTempDir } from './temp-files.js';

export interface SortOptions {
  input: string;
  output: string;
  /**
   * The memory budget for lines and I/O buffers. The CLI insists on at least 1 MiB; the library accepts less,
   * which lets tests force many runs and several merge passes out of a small input.
   */
  memoryBytes: number;
  unique?: boolean;
  /** The folder in which to create the temp folder (default: the system temp directory). */
  tmp?: string;
  signal?: AbortSignal;
  progress?: Progress;
  /**
   * What a worker thread is taken to cost, out of the budget (default WORKER_RESERVE_BYTES). A budget less
   * than four times this sorts on one thread; tests make it small to form runs on two threads out of small
   * budgets.
   */
  workerReserveBytes?: number;
  /** Called with the temp folder once it exists (tests check that it is gone afterwards). */
  onTempDir?: (dir: string) => void;
}

export interface SortStats {
  inputBytes: number;
  linesRead: number;
  linesWritten: number;
  /** Sorted runs written by phase 1 (0 when the input fit in one run and went straight to the output). */
  runs: number;
  /** Of those, the runs the worker thread sorted and wrote while this one read (run-sorter.ts). */
  workerRuns: number;
  mergePasses: number;
}

/**
 * The budget minus what the JavaScript heap may take besides the arena: V8's young generation grows to 10–20 MiB
 * as promises, views and the sort's work list come and go, and that memory is ours too.
 */
const arenaBytes = (memoryBytes: number) => memoryBytes - Math.min(HEAP_RESERVE_BYTES, memoryBytes / 4);
const HEAP_RESERVE_BYTES = 24 * 1024 * 1024;

/** The write buffer's share of the arena: big enough for few write calls, small beside the runs. */
const writeBufferBytes = (arenaBytes: number) =>
  8 * Math.floor(Math.min(4 * 1024 * 1024, arenaBytes / 16) / 8);

export async function externalSort(options: SortOptions): Promise<SortStats> {
  const { input, output, memoryBytes, unique = false, signal, progress } = options;
  const inputBytes = await checkPaths(options);
  // Multiples of 8 throughout, so that typed arrays of float64 and uint32 can be laid over any part.
  const totalBytes = 8 * Math.floor(arenaBytes(memoryBytes) / 8);
  const writerBytes = writeBufferBytes(totalBytes);
  const runBytes = totalBytes - writerBytes;
  const layout = runLayout(inputBytes, runBytes, writerBytes, options.workerReserveBytes);
  const arena = allocateArena(totalBytes, layout.slots.length > 1);
  const writeBuffer = Buffer.from(arena, runBytes, writerBytes);
  const tempDir = await createTempDir(options.tmp);
  options.onTempDir?.(tempDir);
  const partial = partialOutputPath(output);
  const stats: SortStats = {
    inputBytes,
    linesRead: 0,
    linesWritten: 0,
    runs: 0,
    workerRuns: 0,
    mergePasses: 0,
  };

  /** Opens a new file, gives `write` a writer over it, flushes and closes it, whatever happens. */
  const writeFile = async (path: string, write: (writer: BufferedWriter) => Promise<number>) => {
    const file = await open(path, 'wx');
    const writer = new BufferedWriter(file, writeBuffer, signal);
    try {
      const lines = await write(writer);
      await writer.flush();
      return lines;
    } finally {
      await writer.settle();
      await file.close();
    }
  };

  try {
    // Phase 1: sorted runs.
    let runs: string[] = [];
    let wroteOutput = false;
    // With slots, the worker sorts and writes runs while this thread reads the next ones, and sorts and writes
    // a run itself when the worker has enough queued: both cores sort, and the slots are the budget.
    const sorter = arena instanceof SharedArrayBuffer ? RunSorter.start(arena) : undefined;
    const free = layout.slots.map((_, index) => index);
    const inWorker: { slot: number; job: Promise<number>; done: boolean }[] = [];
    /** Frees the slots of the worker's jobs done so far; with `wait`, of its oldest job at least. */
    const collect = async (wait: boolean) => {
      for (let first = inWorker[0]; first !== undefined && (first.done || wait); first = inWorker[0]) {
        await first.job;
        inWorker.shift();
        free.push(first.slot);
        wait = false;
      }
    };
    const source = await open(input, 'r');
    try {
      progress?.start('sorting runs', inputBytes);
      for (let position = 0; ;) {
        await collect(free.length === 0);
        let index = free.pop() as number;
        let slot = layout.slots[index] as Slot;
        let run: ReadRun | null;
        try {
          run = await readRun(source, position, arena, slot, signal);
        } catch (error) {
          if (!(error instanceof LineTooLongError) || layout.slots.length === 1) throw error;
          // A line too long for a slot: read it into the whole run space, once the worker has let go of it.
          free.push(index);
          while (inWorker.length > 0) await collect(true);
          index = -1;
          slot = layout.whole;
          run = await readRun(source, position, arena, slot, signal);
        }
        if (run === null) break;
        stats.linesRead += run.lines;
        position += run.inputBytes;
        progress?.update(position);
        if (runs.length === 0 && run.last) {
          stats.linesWritten = sortAndWriteRun(arena, slot, run, partial, layout.mainWriteBuffer, unique);
          wroteOutput = true;
          break;
        }
        const path = join(tempDir, `run-${runs.length}`);
        runs.push(path);
        await collect(false);
        if (sorter !== undefined && index !== -1 && sorter.queued < WORKER_QUEUE) {
          const job = sorter.sortAndWrite({ slot, run, path, writeBuffer: layout.workerWriteBuffer, unique });
          const handed = { slot: index, job, done: false };
          // Marked when settled, so that the loop takes its result without waiting; errors surface in collect.
          job.then(
            () => (handed.done = true),
            () => (handed.done = true),
          );
          inWorker.push(handed);
          stats.workerRuns++;
        } else {
          sortAndWriteRun(arena, slot, run, path, layout.mainWriteBuffer, unique);
          if (index !== -1) free.push(index);
        }
        if (run.last) break;
      }
      while (inWorker.length > 0) await collect(true);
    } finally {
      await source.close();
      await sorter?.close();
    }
    stats.runs = runs.length;

    // Phase 2: merge passes, up to maxFanIn runs at a time, until one merge can write the output.
    const maxFanIn = fanIn(runBytes);
    const merge = async (group: string[], to: string, label: string) => {
      const slice = Math.floor(runBytes / Math.max(1, group.length)); // no runs: an empty input
      const buffers = group.map((_, i) => Buffer.from(arena, i * slice, slice));
      const files: FileHandle[] = [];
      try {
        for (const path of group) files.push(await open(path, 'r'));
        const total = (await Promise.all(files.map((file) => file.stat()))).reduce(
          (sum, s) => sum + s.size,
          0,
        );
        progress?.start(label, total);
        return await writeFile(to, (writer) =>
          mergeRuns({
            runs: files,
            buffers,
            writer,
            unique,
            signal,
            onBytesRead: (bytes) => progress?.update(bytes),
          }),
        );
      } finally {
        await Promise.all(files.map((file) => file.close()));
      }
    };
    // ⌈log_maxFanIn(runs)⌉, counted the way the passes below go: each one leaves ⌈runs / maxFanIn⌉ runs.
    let passes = 0;
    for (let left = runs.length; left > 1; left = Math.ceil(left / maxFanIn)) passes++;
    while (runs.length > maxFanIn) {
      stats.mergePasses++;
      const next: string[] = [];
      for (let i = 0; i < runs.length; i += maxFanIn) {
        const group = runs.slice(i, i + maxFanIn);
        const label = `merge ${stats.mergePasses}/${passes}, runs ${i + 1}-${i + group.length}`;
        const merged = join(tempDir, `pass-${stats.mergePasses}-${next.length}`);
        if (group.length === 1) next.push(...group);
        else {
          await merge(group, merged, label);
          next.push(merged);
          // Each merged group frees its runs at once: the disk holds about one copy of the data, not two.
          await Promise.all(group.map((path) => rm(path)));
        }
      }
      runs = next;
    }
    if (!wroteOutput) {
      if (runs.length > 0) stats.mergePasses++;
      stats.linesWritten = await merge(runs, partial, `merge ${stats.mergePasses}/${Math.max(1, passes)}`);
    }
    progress?.stop();
    await rename(partial, output);
    return stats;
  } catch (error) {
    progress?.stop();
    await rm(partial, { force: true });
    throw error;
  } finally {
    await removeTempDir(tempDir);
  }
}

/**
 * What a worker thread costs beside the arena: its own V8 isolate and Node environment, about 11 MiB on Node 20.
 * It comes out of the arena, so that the budget still bounds everything the sort allocates.
 */
const WORKER_RESERVE_BYTES = 12 * 1024 * 1024;
/** Runs queued for the worker: one to sort, one to start the moment it is done (see run-sorter.ts). */
const WORKER_QUEUE = 2;
/** One slot per run queued for the worker, one for this thread to read (and sort) the next. */
const SLOTS = WORKER_QUEUE + 1;

/**
 * Where phase 1 keeps its runs in the arena. An input that may fit in one run gets the whole run space and no
 * worker: it goes straight to the output. So does a budget too small to pay for a worker (less than 4 times the
 * worker's reserve). Otherwise the worker's reserve is taken off the run space, the rest is cut into SLOTS
 * slots, and each thread gets half of the write buffer. `whole` is the run space for a line too long for a slot.
 */
export function runLayout(
  inputBytes: number,
  runBytes: number,
  writerBytes: number,
  workerReserve = WORKER_RESERVE_BYTES,
) {
  const half = 8 * Math.floor(writerBytes / 16);
  const mainWriteBuffer = { offset: runBytes, size: half };
  const workerWriteBuffer = { offset: runBytes + half, size: half };
  const whole = { offset: 0, size: runBytes };
  if (inputBytes <= runBytes || runBytes < 4 * workerReserve) {
    return { slots: [whole], whole, mainWriteBuffer, workerWriteBuffer };
  }
  const slotBytes = 8 * Math.floor((runBytes - workerReserve) / SLOTS / 8);
  const slots = Array.from({ length: SLOTS }, (_, i) => ({ offset: i * slotBytes, size: slotBytes }));
  return { slots, whole: { offset: 0, size: SLOTS * slotBytes }, mainWriteBuffer, workerWriteBuffer };
}

/**
 * The arena, or a UsageError when the budget is more than this process can allocate (a typo in --memory).
 * Shared only when a worker sorts runs in it: a SharedArrayBuffer of the same size made the peak RSS grow by
 * several MiB on Node 20, which a sort on one thread would pay for nothing.
 */
function allocateArena(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  try {
    return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new UsageError(`--memory is more than this process can allocate (${error.message})`);
  }
}

/** Rejects what cannot work before anything is written; returns the input's size. */
async function checkPaths({ input, output, tmp }: SortOptions): Promise<number> {
  const inputStat = await stat(input).catch(() => {
    throw new UsageError(`--input: cannot read "${input}" (no such file?)`);
  });
  if (!inputStat.isFile()) throw new UsageError(`--input: "${input}" is not a regular file`);
  const outputStat = await stat(output).catch(() => undefined);
  if (
    resolve(output) === resolve(input) ||
    (outputStat !== undefined && outputStat.dev === inputStat.dev && outputStat.ino === inputStat.ino)
  ) {
    throw new UsageError(`--output must not be the input file ("${output}"); sort to another file`);
  }
  if (outputStat?.isDirectory()) throw new UsageError(`--output: "${output}" is a folder`);
  await access(dirname(resolve(output)), constants.W_OK).catch(() => {
    throw new UsageError(
      `--output: the folder "${dirname(resolve(output))}" does not exist or is not writable`,
    );
  });
  if (tmp !== undefined) {
    const tmpStat = await stat(tmp).catch(() => undefined);
    if (!tmpStat?.isDirectory()) throw new UsageError(`--tmp: "${tmp}" is not a folder`);
  }
  return inputStat.size;
}
