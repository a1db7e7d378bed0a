// Phase 2: the k-way merge. Up to MAX_FAN_IN sorted runs are read side by side; a binary min-heap holds one
// cursor per run, ordered by the cursor's current line, so the smallest line of all is always at the top.
// Each step writes the top line, advances that cursor, and sifts it back down with replaceTop: about log2(k)
// levels, 4 for 16 runs. An exhausted run leaves the heap.
//
// Equal lines are ordered by run number, which makes the output deterministic although the heap is not
// stable. With `unique` every run is already free of duplicates, so equal lines can only come from different
// runs, and the heap hands them out one after the other: dropping a line equal to the previous one written is
// enough.
import type { FileHandle } from 'node:fs/promises';
import { BinaryHeap } from '@backend-rebase/data-structures';
import type { BufferedWriter } from './buffered-writer.js';
import { compareBytes, equalBytes } from './compare.js';
import { RunReader } from './run-reader.js';

/** At most this many runs are merged at once; more runs need more passes (see the README for why 16). */
export const MAX_FAN_IN = 16;

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

const byLineThenRun = (a: RunReader, b: RunReader) =>
  compareBytes(a.buffer, a.start, a.end, b.buffer, b.start, b.end) || a.run - b.run;

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

  const heap = new BinaryHeap<RunReader>(byLineThenRun);
  for (const reader of readers) if (await refill(reader)) heap.push(reader);

  // With `unique`, the line written last, by reference: it stays put in its reader's buffer until that reader
  // refills, and only then is it copied aside (once per buffer, not once per line).
  let previousBuffer: Buffer = Buffer.alloc(0);
  let previousStart = 0;
  let previousEnd = -1;
  let saved: Buffer = Buffer.alloc(unique ? 4096 : 0);
  let written = 0;
  for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
    const { buffer, start, end } = top;
    if (!unique || !equalBytes(buffer, start, end, previousBuffer, previousStart, previousEnd)) {
      if (!writer.append(buffer, start, end + 1)) await writer.flushAndAppend(buffer, start, end + 1);
      written++;
      previousBuffer = buffer;
      previousStart = start;
      previousEnd = end;
    }
    if (top.advance()) {
      heap.replaceTop(top);
      continue;
    }
    if (unique && previousBuffer === buffer) {
      if (saved.length < end - start) saved = Buffer.alloc(2 * (end - start));
      previousBuffer = saved;
      previousStart = 0;
      previousEnd = buffer.copy(saved, 0, start, end);
    }
    if (await refill(top)) heap.replaceTop(top);
    else heap.pop();
  }
  return written;
}
