// Phase 1: cut the input into runs that fit the memory budget, sort each in memory, write it out.
//
// A run lives in a slot of one ArrayBuffer, the arena, allocated once and reused for every run: the main thread
// reads a run into a free slot (readRun), and the run is sorted and written (sortAndWriteRun) either by the main
// thread or by the worker thread of run-sorter.ts, which sees the same memory (the arena is then shared). So the reading, sorting
// and writing are plain functions of (arena, slot), and nothing but numbers crosses between the threads. The text is read to the front; the offsets of the lines (their "bounds") are
// stored from the back, growing down, as the newlines are found — the layout GNU sort uses. The run is full when
// the two would meet, leaving room for the 12 more bytes per line that sorting needs (a line number and a
// float64 key, see line-sort.ts):
//
//     [ text ──────────►   ...free...   ◄────── bounds, last line first ]
//     [ text | keys (8 per line) | order (4 per line) | bounds (4 per line + 1) ]   ← once the run is full
//
// So a run of n lines of total length T needs T + 16n + 12 bytes and nothing else, whatever the line lengths:
// there is no per-line object, and no string is ever made from a line.
//
// Reads go into the arena directly, at most half of the free space at a time, so that the bounds growing down
// have room to meet them. Bytes read past the last line that fits are simply read again for the next run.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { formatMiB } from './args.js';
import { ArenaCopier } from './copy-bytes.js';
import { equalBytes } from './compare.js';
import { sortLines } from './line-sort.js';

const NEWLINE = 0x0a;
const MAX_READ_BYTES = 4 * 1024 * 1024;
/** Lines looked up ahead of their copy when a run is written (see sortAndWriteRun). */
const GATHER_BATCH = 64;

/** Arena bytes needed beside the text by n lines: bounds (n + 1), order and keys, plus 8 to align the keys. */
const indexBytes = (lines: number) => 16 * lines + 4 + 8;

/** A part of the arena: [offset, offset + size), both multiples of 8. */
export interface Slot {
  offset: number;
  size: number;
}

/** A run read into a slot: its text at the slot's front, its bounds at the slot's back, last line first. */
export interface ReadRun {
  lines: number;
  /** Bytes of text, a newline added to an unterminated last line included. */
  textBytes: number;
  /** Input bytes this run consumed (the text, minus a newline added to an unterminated last line). */
  inputBytes: number;
  /** Whether the input ends with this run. */
  last: boolean;
}

interface SortedRun {
  /** The run's text: line i is text[bounds[i], bounds[i + 1]), its newline included. */
  text: Uint8Array;
  bounds: Uint32Array;
  /** Line numbers in sorted order. */
  order: Uint32Array;
  lines: number;
}

export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
}

/** Reads the run that starts at input `position` into the slot; null when the input is over. */
export async function readRun(
  input: FileHandle,
  position: number,
  arena: ArrayBufferLike,
  slot: Slot,
  signal?: AbortSignal,
): Promise<ReadRun | null> {
  const { size } = slot;
  const bytes = new Uint8Array(arena, slot.offset, size);
  const words = new Uint32Array(arena, slot.offset, size / 4);
  const top = words.length - 1;
  // bounds[i] is kept in words[top - i]; bounds[0] = 0 is the start of the first line.
  words[top] = 0;
  let lines = 0;
  let textEnd = 0; // bytes read into the slot
  let scanned = 0; // bytes searched for newlines
  let atEnd = false;

  /** Records a line ending at `newline` if it and its index fit, and its bound overwrites no text read. */
  const accept = (newline: number) => {
    const boundSlot = top - (lines + 1);
    if (newline + 1 + indexBytes(lines + 1) > size || boundSlot * 4 < Math.max(textEnd, newline + 1)) {
      return false;
    }
    lines++;
    words[boundSlot] = newline + 1;
    return true;
  };

  reading: for (;;) {
    const room = Math.min(MAX_READ_BYTES, Math.floor((size - textEnd - indexBytes(lines)) / 2));
    if (room <= 0) break;
    signal?.throwIfAborted();
    const { bytesRead } = await input.read(bytes, textEnd, room, position + textEnd);
    if (bytesRead === 0) {
      atEnd = true;
      break;
    }
    textEnd += bytesRead;
    // Searching a view that ends at textEnd keeps memchr out of the stale bytes of earlier runs.
    const readSoFar = Buffer.from(arena, slot.offset, textEnd);
    for (;;) {
      const newline = readSoFar.indexOf(NEWLINE, scanned);
      if (newline === -1) break;
      if (!accept(newline)) break reading;
      scanned = newline + 1;
    }
    scanned = textEnd;
  }

  let text = lines === 0 ? 0 : (words[top - lines] as number);
  let inputBytes = text;
  if (atEnd && textEnd > text) {
    // The last line has no newline: give it one, as sort does.
    if (accept(textEnd)) {
      bytes[textEnd] = NEWLINE;
      inputBytes = textEnd;
      text = textEnd + 1;
    } else {
      atEnd = false;
    }
  }
  if (lines === 0) {
    if (atEnd) return null;
    throw new LineTooLongError(
      `the line at byte ${position} of the input does not fit in a ${formatMiB(size)} run; raise --memory`,
    );
  }
  // The run is finished only when everything read has been accepted; otherwise the next run starts earlier.
  return { lines, textBytes: text, inputBytes, last: atEnd && inputBytes === textEnd };
}

/** Lays the index out behind the text (see the top of this file) and sorts it. */
function sortRun(arena: ArrayBufferLike, slot: Slot, run: ReadRun): SortedRun {
  const { lines, textBytes } = run;
  const words = new Uint32Array(arena, slot.offset, slot.size / 4);
  const top = words.length - 1;
  const bounds = words.subarray(top - lines, top + 1).reverse();
  const keysOffset = slot.offset + Math.ceil(textBytes / 8) * 8;
  const keys = new Float64Array(arena, keysOffset, lines);
  const order = new Uint32Array(arena, keysOffset + 8 * lines, lines);
  const text = new Uint8Array(arena, slot.offset, textBytes);
  sortLines(text, bounds, order, keys);
  return { text, bounds, order, lines };
}

/**
 * Sorts the run in its slot and writes it to a new file at `path` through `writeBuffer`, a part of the same
 * arena; with `unique`, equal neighbours once. Returns the lines written. Synchronous, so that a worker thread
 * runs it as one task; the main thread, which also runs it, has nothing else to do meanwhile but wait.
 */
export function sortAndWriteRun(
  arena: ArrayBufferLike,
  slot: Slot,
  run: ReadRun,
  path: string,
  writeBuffer: Slot,
  unique: boolean,
): number {
  const { text, bounds, order, lines } = sortRun(arena, slot, run);
  const memory = new Uint8Array(arena);
  const copier = new ArenaCopier(arena);
  const base = slot.offset;
  const out = writeBuffer.offset;
  const outEnd = out + writeBuffer.size;
  const fd = openSync(path, 'wx');
  try {
    let used = out;
    const flush = () => {
      for (let from = out; from < used;) from += writeSync(fd, memory, from, used - from);
      used = out;
    };
    let written = 0;
    let previousStart = 0;
    let previousEnd = -1;
    // In sorted order the lines are all over the slot, and each one costs a cache miss or two. Looking up a
    // batch of lines first, their bounds and first bytes, lets the processor wait for those misses side by
    // side instead of one after another in the middle of each copy.
    const starts = new Int32Array(GATHER_BATCH);
    const ends = new Int32Array(GATHER_BATCH);
    let touched = 0;
    for (let i = 0; i < lines; i++) {
      const slotInBatch = i % GATHER_BATCH;
      if (slotInBatch === 0) {
        const batch = Math.min(GATHER_BATCH, lines - i);
        for (let j = 0; j < batch; j++) {
          const line = order[i + j] as number;
          starts[j] = bounds[line] as number;
          ends[j] = bounds[line + 1] as number;
        }
        for (let j = 0; j < batch; j++) touched |= text[starts[j] as number] as number;
      }
      const start = starts[slotInBatch] as number;
      const end = ends[slotInBatch] as number;
      if (unique && equalBytes(text, previousStart, previousEnd, text, start, end)) continue;
      previousStart = start;
      previousEnd = end;
      written++;
      const length = end - start;
      if (used + length > outEnd) {
        flush();
        if (length > writeBuffer.size) {
          // A line longer than the write buffer goes straight from the run's text.
          for (let from = base + start; from < base + end;) {
            from += writeSync(fd, memory, from, base + end - from);
          }
          continue;
        }
      }
      copier.copy(used, base + start, length);
      used += length;
    }
    flush();
    // Read, so that the loads that fetch the lines' first bytes are not optimized away.
    return touched < 0 ? -1 : written;
  } finally {
    closeSync(fd);
  }
}
