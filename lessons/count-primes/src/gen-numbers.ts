// Writes COUNT random integers from 0 to MAX (MAX ≤ 2^53 − 1), one per line, reproducibly from SEED:
//
//   pnpm lesson:gen-numbers --count 50000000 --max 9007199254740991 --seed 1 --out numbers.txt
//
// Randomness: sfc32 (Chris Doty-Humphrey's "small fast counter", 128 bits of state, passes PractRand), seeded
// with the seed's low and high 32 bits. Math.random is no use here: it cannot be seeded, and V8's gives only
// 52 random bits (Math.random() · 2^53 is always even). A value is made of just enough random bits to cover
// MAX (two 32-bit outputs when MAX ≥ 2^32) and drawn again when it exceeds MAX ("rejection sampling"): every
// value of 0..MAX is then exactly equally likely, which `random % (MAX + 1)` would not give.
//
// Output is formatted straight into 1 MiB buffers and handed to a write stream; when the stream's buffer is full
// (write() returns false) generation waits for 'drain', so memory stays bounded however fast the disk is.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { integerOption, runProgram, UsageError } from './cli.js';

const BLOCK_BYTES = 1 << 20;
/** Room for the longest line: 16 digits and a `\n`. */
const LONGEST_LINE = 17;

/** sfc32: returns a function giving uniform 32-bit unsigned integers. */
function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = seed >>> 0;
  let d = Math.floor(seed / 2 ** 32) >>> 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next(); // mix the seed into all of the state
  return next;
}

/** Uniform integers in 0..max (max ≤ 2^53 − 1) from a source of uniform 32-bit integers. */
function uniformInteger(next: () => number, max: number): () => number {
  let bits = 0;
  while (2 ** bits <= max) bits++;
  const draw =
    bits <= 32
      ? () => (bits === 0 ? 0 : next() >>> (32 - bits))
      : () => (next() >>> (64 - bits)) * 2 ** 32 + next();
  return () => {
    for (;;) {
      const value = draw();
      if (value <= max) return value; // accepted with probability > 1/2
    }
  };
}

/** Writes `value` in decimal at `position`; returns the position after it. */
function writeDecimal(buffer: Buffer, position: number, value: number): number {
  let end = position + 1;
  for (let power = 10; power <= value; power *= 10) end++;
  for (let i = end - 1, rest = value; i >= position; i--) {
    // For rest < 2^53 the quotient's fraction is at most 0.9, too far from the next integer to be rounded up.
    const quotient = Math.floor(rest / 10);
    buffer[i] = 0x30 + rest - quotient * 10;
    rest = quotient;
  }
  return end;
}

async function generateNumbers(options: { count: number; max: number; seed: number; out: string }) {
  const random = uniformInteger(sfc32(options.seed), options.max);
  const out = createWriteStream(options.out);
  let block = Buffer.allocUnsafe(BLOCK_BYTES);
  let used = 0;
  for (let i = 0; i < options.count; i++) {
    used = writeDecimal(block, used, random());
    block[used++] = 0x0a;
    if (used > BLOCK_BYTES - LONGEST_LINE || i === options.count - 1) {
      // The stream keeps the block until it is written, so the next lines go into a fresh one.
      const accepted = out.write(block.subarray(0, used));
      block = Buffer.allocUnsafe(BLOCK_BYTES);
      used = 0;
      if (!accepted) await once(out, 'drain');
    }
  }
  out.end();
  await finished(out);
}

runProgram(async () => {
  const usage = 'usage: gen-numbers.ts --count N --max M --seed S --out FILE';
  let values;
  try {
    values = parseArgs({
      options: {
        count: { type: 'string' },
        max: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  const missing = (['count', 'max', 'seed', 'out'] as const).filter((flag) => !values[flag]);
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.map((flag) => `--${flag}`).join(', ')}\n${usage}`);
  }
  await generateNumbers({
    count: integerOption('count', values.count!, 0),
    max: integerOption('max', values.max!, 0),
    seed: integerOption('seed', values.seed!, 0),
    out: values.out!,
  });
});
