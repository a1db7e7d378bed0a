// External merge sort of a file of lines, bytewise (the order of `LC_ALL=C sort`), in bounded memory.
//
// Phase 1 reads the input run by run into one arena of about `memoryBytes`, sorts each run in memory and writes
// it to a temp folder (runs.ts). Phase 2 merges the runs 16 at a time (merge.ts), pass after pass, until one
// merge can write the output; an input that fits in one run is written straight to the output.
//
// What this module guarantees:
//   - memory: one ArrayBuffer, the arena, allocated once: the budget less a reserve (a quarter, at most 24 MiB)
//     for the JavaScript heap. Its front holds a run (phase 1) or the merge's read buffers (phase 2), its back
//     the write buffer. Besides it there are a few objects per run and per buffer of I/O, never one per line,
//     so the heap stays small whatever the input.
//   - the output appears complete or not at all (written to a temporary name, then renamed), and the temp
//     folder is removed on success, on error, and when `signal` aborts (the CLI aborts it on Ctrl-C).
//   - with `unique`, each distinct line is written once (`sort -u`); a last line without a newline gets one.
import { open, rename, rm, stat, access, constants, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './args.js';
import { BufferedWriter } from './buffered-writer.js';
import { mergeRuns, MAX_FAN_IN } from './merge.js';
import type { Progress } from './progress.js';
import { readSortedRun, writeRun } from './runs.js';
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
  /** Called with the temp folder once it exists (tests check that it is gone afterwards). */
  onTempDir?: (dir: string) => void;
}

export interface SortStats {
  inputBytes: number;
  linesRead: number;
  linesWritten: number;
  /** Sorted runs written by phase 1 (0 when the input fit in one run and went straight to the output). */
  runs: number;
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
  const arena = allocateArena(memoryBytes);
  const writerBytes = writeBufferBytes(arena.byteLength);
  const runBytes = arena.byteLength - writerBytes;
  const writeBuffer = Buffer.from(arena, runBytes, writerBytes);
  const tempDir = await createTempDir(options.tmp);
  options.onTempDir?.(tempDir);
  const partial = partialOutputPath(output);
  const stats: SortStats = { inputBytes, linesRead: 0, linesWritten: 0, runs: 0, mergePasses: 0 };

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
    const source = await open(input, 'r');
    try {
      progress?.start('sorting runs', inputBytes);
      for (let position = 0; ;) {
        const run = await readSortedRun(source, position, arena, runBytes, signal);
        if (run === null) break;
        stats.linesRead += run.lines;
        position += run.inputBytes;
        if (runs.length === 0 && run.last) {
          stats.linesWritten = await writeFile(partial, (writer) => writeRun(run, writer, unique));
          wroteOutput = true;
        } else {
          const path = join(tempDir, `run-${runs.length}`);
          await writeFile(path, (writer) => writeRun(run, writer, unique));
          runs.push(path);
        }
        progress?.update(position);
        if (run.last) break;
      }
    } finally {
      await source.close();
    }
    stats.runs = runs.length;

    // Phase 2: merge passes, MAX_FAN_IN runs at a time, until one merge can write the output.
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
    // ⌈log16(runs)⌉, counted the way the passes below go: each one leaves ⌈runs / 16⌉ runs.
    let passes = 0;
    for (let left = runs.length; left > 1; left = Math.ceil(left / MAX_FAN_IN)) passes++;
    while (runs.length > MAX_FAN_IN) {
      stats.mergePasses++;
      const next: string[] = [];
      for (let i = 0; i < runs.length; i += MAX_FAN_IN) {
        const group = runs.slice(i, i + MAX_FAN_IN);
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

/** The arena, or a UsageError when the budget is more than this process can allocate (a typo in --memory). */
function allocateArena(memoryBytes: number): ArrayBuffer {
  const bytes = 8 * Math.floor(arenaBytes(memoryBytes) / 8);
  try {
    return new ArrayBuffer(bytes);
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
