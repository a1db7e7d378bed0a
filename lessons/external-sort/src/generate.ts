// Writes reproducible test input for the sort: `lines` lines of printable ASCII (0x20..0x7E), each 1..maxLength
// characters long, about `duplicates` of them (a ratio in [0, 1]) repeating an earlier line. The same options and
// seed always give the same bytes (mulberry32, from @backend-rebase/seeded-random).
//
// The file is never built in memory: lines are written into 4 MiB Buffers that go to a write stream, and the
// generator waits for 'drain' whenever the stream's buffer is full, so memory stays flat for any size.
//
// Repeated lines come from a pool of earlier lines (at most POOL_LINES of them, or about 16 MiB): while the
// pool is filling every new line enters it, then a new line replaces a random one. So a repeat may be of any
// earlier line, near or far, which is what makes deduplication across runs matter. A "new" random line can
// also equal an earlier one by chance when maxLength is small, so the ratio of repeats is approximate.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Mulberry32 } from '@backend-rebase/seeded-random';

export interface GenerateOptions {
  lines: number;
  maxLength: number;
  /** Fraction of lines that repeat an earlier line, in [0, 1]. */
  duplicates: number;
  seed: number;
  out: string;
}

const CHUNK_BYTES = 4 * 1024 * 1024;
const POOL_LINES = 4096;
const POOL_BYTES = 16 * 1024 * 1024;
const FIRST_PRINTABLE = 0x20;
const PRINTABLE_COUNT = 0x7e - 0x20 + 1;
const NEWLINE = 0x0a;

/**
 * Maps 16 random bits to a printable character: each of the 95 gets 689 or 690 of the 65536 values, uniform
 * within 0.15 %, and a table look-up is cheaper than a multiply-and-floor per character.
 */
const CHAR_OF_16_BITS = Uint8Array.from({ length: 0x10000 }, (_, bits) =>
  Math.floor(FIRST_PRINTABLE + (bits * PRINTABLE_COUNT) / 0x10000),
);

/** Writes the file; resolves with its size in bytes. */
export async function generateLines(options: GenerateOptions): Promise<number> {
  const { lines, maxLength, duplicates, seed, out } = options;
  const random = new Mulberry32(seed);
  const poolCapacity = Math.max(1, Math.min(POOL_LINES, Math.floor(POOL_BYTES / maxLength)));
  const pool = Buffer.alloc(poolCapacity * maxLength);
  const poolLengths = new Uint32Array(poolCapacity);
  let poolSize = 0;

  const stream = createWriteStream(out);
  const streamError = once(stream, 'error').then(([error]) => Promise.reject(error as Error));
  // Keeps an early stream error from being reported as unhandled before we await it.
  streamError.catch(() => undefined);

  // A chunk must hold the longest line and its newline: a typed array drops writes past its end silently, so a
  // shorter chunk would cut long lines short without a word.
  const chunkBytes = Math.max(CHUNK_BYTES, maxLength + 1);
  let chunk = Buffer.allocUnsafe(chunkBytes);
  let used = 0;
  let total = 0;
  const flush = async () => {
    total += used;
    // The stream keeps a reference to the Buffer until it is written, so the next lines go to a fresh one.
    const full = stream.write(chunk.subarray(0, used));
    chunk = Buffer.allocUnsafe(chunkBytes);
    used = 0;
    if (!full) await Promise.race([once(stream, 'drain'), streamError]);
  };

  for (let line = 0; line < lines; line++) {
    if (used + maxLength + 1 > chunkBytes) await flush();
    if (poolSize > 0 && random.nextFloat() < duplicates) {
      const slot = random.below(poolSize);
      const length = poolLengths[slot] as number;
      used += pool.copy(chunk, used, slot * maxLength, slot * maxLength + length);
    } else {
      const length = 1 + random.below(maxLength);
      const start = used;
      // Two characters per random number, one from each 16-bit half. For an odd length the last pair writes
      // one byte past the line, where the newline goes next.
      for (let i = 0; i < length; i += 2) {
        const bits = random.nextUint32();
        chunk[used + i] = CHAR_OF_16_BITS[bits & 0xffff] as number;
        chunk[used + i + 1] = CHAR_OF_16_BITS[bits >>> 16] as number;
      }
      used += length;
      const slot = poolSize < poolCapacity ? poolSize++ : random.below(poolCapacity);
      chunk.copy(pool, slot * maxLength, start, used);
      poolLengths[slot] = length;
    }
    chunk[used++] = NEWLINE;
  }
  await flush();
  stream.end();
  await Promise.race([finished(stream), streamError]);
  return total;
}
