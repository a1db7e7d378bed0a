// Phase 1: cut the input into runs that fit the memory budget, sort each in memory, write it out.
//
// A run lives in the front of one ArrayBuffer, the arena, allocated once and reused for every run (the rest of
// the arena is the write buffer). The text is read to the front; the offsets of the lines (their "bounds") are
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
import type { FileHandle } from 'node:fs/promises';
import { formatMiB } from './args.js';
import type { BufferedWriter } from './buffered-writer.js';
import { equalBytes } from './compare.js';
import { sortLines } from './line-sort.js';

const NEWLINE = 0x0a;
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** Arena bytes needed beside the text by n lines: bounds (n + 1), order and keys, plus 8 to align the keys. */
const indexBytes = (lines: number) => 16 * lines + 4 + 8;

export interface SortedRun {
  /** The run's text: line i is text[bounds[i], bounds[i + 1]), its newline included. */
  text: Buffer;
  bounds: Uint32Array;
  /** Line numbers in sorted order. */
  order: Uint32Array;
  lines: number;
  /** Input bytes this run consumed (the text, minus a newline added to an unterminated last line). */
  inputBytes: number;
  /** Whether the input ends with this run. */
  last: boolean;
}

class LineTooLongError extends Error {
  override name = 'LineTooLongError';
}

/**
 * Reads the run that starts at input `position` into arena[0, size) and sorts it; null when the input is over.
 * `size` must be a multiple of 8, so that the keys (float64) and the uint32 arrays can be laid over it.
 */
export async function readSortedRun(
  input: FileHandle,
  position: number,
  arena: ArrayBuffer,
  size: number,
  signal?: AbortSignal,
): Promise<SortedRun | null> {
  const bytes = new Uint8Array(arena, 0, size);
  const words = new Uint32Array(arena, 0, size / 4);
  const top = words.length - 1;
  // bounds[i] is kept in words[top - i]; bounds[0] = 0 is the start of the first line.
  words[top] = 0;
  let lines = 0;
  let textEnd = 0; // bytes read into the arena
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
    const readSoFar = Buffer.from(arena, 0, textEnd);
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
  const last = atEnd && inputBytes === textEnd;

  const bounds = words.subarray(top - lines, top + 1).reverse();
  const keysOffset = Math.ceil(text / 8) * 8;
  const keys = new Float64Array(arena, keysOffset, lines);
  const order = new Uint32Array(arena, keysOffset + 8 * lines, lines);
  const textBuffer = Buffer.from(arena, 0, text);
  sortLines(textBuffer, bounds, order, keys);
  return { text: textBuffer, bounds, order, lines, inputBytes, last };
}

/** Writes the run's lines in sorted order; with `unique`, equal neighbours once. Returns the lines written. */
export async function writeRun(run: SortedRun, writer: BufferedWriter, unique: boolean): Promise<number> {
  const { text, bounds, order } = run;
  let written = 0;
  let previousStart = 0;
  let previousEnd = -1;
  for (let i = 0; i < run.lines; i++) {
    const line = order[i] as number;
    const start = bounds[line] as number;
    const end = bounds[line + 1] as number;
    if (unique && equalBytes(text, previousStart, previousEnd, text, start, end)) continue;
    if (!writer.append(text, start, end)) await writer.flushAndAppend(text, start, end);
    previousStart = start;
    previousEnd = end;
    written++;
  }
  return written;
}
