// Counts the prime lines of a stream of bytes, fed in chunks of any size, without making a string per line:
// digits are read straight from the bytes and accumulated into a Number (value · 10 + digit), and a line split
// across two chunks simply carries its partial value over to the next write().
//
// The format is strict. Each line is a decimal integer from 0 to 2^53 − 1: ASCII digits only (leading zeros are
// allowed), ended by `\n`; the last line may lack its `\n`. Everything else stops the count with a BadLineError:
// an empty line, a sign, a space, a `\r` (Windows line endings are rejected with a message saying so rather than
// silently accepted, so that every program agrees on what a line is), any other byte, or a value above 2^53 − 1,
// where a Number would stop being exact.
import { isPrime } from './is-prime.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const ZERO = 0x30;

export class BadLineError extends Error {
  constructor(
    /** 1-based, counted from where this counter started. */
    readonly line: number,
    /** Byte offset of the line's first byte (see PrimeCounter's `startOffset`). */
    readonly lineStart: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'BadLineError';
  }
}

export class PrimeCounter {
  /** Prime lines so far. */
  primes = 0;
  /** Complete lines so far. */
  lines = 0;
  /** Byte offset just past the last byte consumed. */
  position: number;
  private value = 0;
  private digits = 0;
  private lineStart: number;

  /** `startOffset`: the offset of the first byte to come, when counting starts in the middle of a file. */
  constructor(startOffset = 0) {
    this.position = startOffset;
    this.lineStart = startOffset;
  }

  /** Consumes bytes [start, end) of `chunk`. Throws BadLineError at the first malformed line. */
  write(chunk: Uint8Array, start = 0, end = chunk.length): void {
    // Hot loop: state lives in locals and is written back once per chunk.
    let { value, digits } = this;
    for (let i = start; i < end; i++) {
      const byte = chunk[i]!;
      const digit = byte - ZERO;
      if (digit >= 0 && digit <= 9) {
        value = value * 10 + digit;
        // Exact up to 2^53 − 1; a larger true value rounds to at least 2^53, so the test cannot miss it.
        if (value > Number.MAX_SAFE_INTEGER) this.fail('the value is above 2^53 − 1');
        digits++;
      } else if (byte === NEWLINE) {
        if (digits === 0) this.fail('empty line');
        if (isPrime(value)) this.primes++;
        this.lines++;
        this.lineStart = this.position + (i - start) + 1;
        value = 0;
        digits = 0;
      } else {
        this.fail(describeUnexpected(byte, digits + 1));
      }
    }
    this.value = value;
    this.digits = digits;
    this.position += end - start;
  }

  /** The input is over: counts a last line that has no `\n`. */
  end(): void {
    if (this.digits === 0) return; // nothing pending (an empty input, or one ending with `\n`)
    if (isPrime(this.value)) this.primes++;
    this.lines++;
    this.value = 0;
    this.digits = 0;
  }

  private fail(reason: string): never {
    throw new BadLineError(this.lines + 1, this.lineStart, reason);
  }
}

function describeUnexpected(byte: number, column: number): string {
  if (byte === CARRIAGE_RETURN) return 'carriage return (\\r): lines must end with \\n alone';
  const shown = byte > 0x20 && byte < 0x7f ? `"${String.fromCharCode(byte)}"` : `byte 0x${byte.toString(16)}`;
  return `${shown} at column ${column}: expected a non-negative integer (digits only)`;
}
