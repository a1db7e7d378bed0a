// Phase 2: the k-way merge. Up to fanIn(memory) sorted runs are read side by side; a tree of losers
// (loser-tree.ts) over one cursor per run names the run whose current line is the smallest of all. Each step
// writes that line, advances that cursor, and replays the cursor's path to the root: ⌈log2 k⌉ comparisons, 7
// for 128 runs. An exhausted run loses every match from then on.
//
// A comparison first looks at each cursor's key, its line's first 6 bytes as a number, kept up to date as the
// cursor advances: the lines at the heads of the runs are close together in the order, but most pairs still
// differ within 6 bytes, and then one comparison of two numbers settles what a loop over bytes would.
//
// Equal lines are ordered by run number, which makes the output deterministic. With `unique` every run is already free of duplicates, so equal lines can only come from different
// runs, and the heap hands them out one after the other: dropping a line equal to the previous one written is
// enough.
import type { FileHandle } from 'node:fs/promises';
import type { BufferedWriter } from './buffered-writer.js';
import { compareBytes, equalBytes } from './compare.js';
import { LoserTree } from './loser-tree.js';
import { RunReader } from './run-reader.js';

/** Each run's read buffer gets at least this much, so that reads stay large and sequential. */
const MIN_READ_BUFFER_BYTES = 512 * 1024;

/**
 * How many runs one merge takes at most, for `bytes` of read buffers: as many as get MIN_READ_BUFFER_BYTES
 * each, from 16 (GNU sort's --batch-size) to 128 (see the README for why).
 */
export const fanIn = (bytes: number) =>
  Math.max(16, Math.min(128, Math.floor(bytes / MIN_READ_BUFFER_BYTES)));

export interface MergeOptions {
  /** The runs, already open, in the order that breaks ties (run 0 first). */
  runs: FileHandle[];
  /** One read buffer per run: the merge's share of the memory budget. */
  buffers: Buffer[];
  writer: BufferedWriter;
  unique: boolean;
  signal?: AbortSignal;
  /** Called after every refill with the total bytes read from the runs so far. */
  onBytesRead?: (bytes: number) => void;
}

/** Merges the runs into the writer; returns the number of lines written. */
export async function mergeRuns(options: MergeOptions): Promise<number> {
  const { runs, buffers, writer, unique, signal, onBytesRead } = options;
  const readers = runs.map((file, run) => new RunReader(run, file, buffers[run] as Buffer, signal));
  let bytesRead = 0;
  const refill = async (reader: RunReader) => {
    const before = reader.bytesRead;
    const more = await reader.refill();
    bytesRead += reader.bytesRead - before;
    onBytesRead?.(bytesRead);
    return more;
  };

  const empty: number[] = [];
  for (const reader of readers) if (!(await refill(reader))) empty.push(reader.run);
  const tree = new LoserTree(
    readers.length,
    (a, b) => {
      const x = readers[a] as RunReader;
      const y = readers[b] as RunReader;
      if (x.key !== y.key) return x.key - y.key;
      return compareBytes(x.buffer, x.start, x.end, y.buffer, y.start, y.end);
    },
    empty,
  );

  // With `unique`, the line written last, by reference: it stays put in its reader's buffer until that reader
  // refills, and only then is it copied aside (once per buffer, not once per line).
  let previousBuffer: Buffer = Buffer.alloc(0);
  let previousStart = 0;
  let previousEnd = -1;
  let saved: Buffer = Buffer.alloc(unique ? 4096 : 0);
  let written = 0;
  for (let run = tree.winner; run !== -1; run = tree.winner) {
    const top = readers[run] as RunReader;
    const { buffer, start, end } = top;
    if (!unique || !equalBytes(buffer, start, end, previousBuffer, previousStart, previousEnd)) {
      if (!writer.append(buffer, start, end + 1)) await writer.flushAndAppend(buffer, start, end + 1);
      written++;
      previousBuffer = buffer;
      previousStart = start;
      previousEnd = end;
    }
    if (top.advance()) {
      tree.replay();
      continue;
    }
    if (unique && previousBuffer === buffer) {
      if (saved.length < end - start) saved = Buffer.alloc(2 * (end - start));
      previousBuffer = saved;
      previousStart = 0;
      previousEnd = buffer.copy(saved, 0, start, end);
    }
    if (await refill(top)) tree.replay();
    else tree.exhaustWinner();
  }
  return written;
}
