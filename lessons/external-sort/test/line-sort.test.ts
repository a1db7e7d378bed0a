import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../src/compare.js';
import { sortLines } from '../src/line-sort.js';

/** Lays lines out the way runs.ts does: one text, each line followed by a newline, and n + 1 bounds. */
function layOut(lines: Uint8Array[]) {
  const text = Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]));
  const bounds = new Uint32Array(lines.length + 1);
  for (let i = 0; i < lines.length; i++)
    bounds[i + 1] = (bounds[i] as number) + (lines[i] as Uint8Array).length + 1;
  return { text, bounds };
}

/** Hex strings: vitest compares an array of strings much faster than an array of Buffers. */
const hex = (line: Uint8Array) => Buffer.from(line).toString('hex');

function sortedBySortLines(lines: Uint8Array[]): string[] {
  const { text, bounds } = layOut(lines);
  const order = new Uint32Array(lines.length);
  sortLines(text, bounds, order, new Float64Array(lines.length));
  return [...order].map((i) => hex(lines[i] as Uint8Array));
}

const sortedByBufferCompare = (lines: Uint8Array[]) =>
  lines
    .map((line) => Buffer.from(line))
    .sort((a, b) => Buffer.compare(a, b))
    .map(hex);

// Few distinct bytes, including 0x00 (the padding value) and 0xff, so lines share prefixes and tie often.
const byteArb = fc.constantFrom(0x00, 0x01, 0x20, 0x41, 0x42, 0x7f, 0x80, 0xff);
const lineArb = fc.array(byteArb, { maxLength: 14 }).map((bytes) => Uint8Array.from(bytes));

describe('sortLines', () => {
  it('orders lines like Buffer.compare (bytewise, prefix first)', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 300 }), (lines) => {
        expect(sortedBySortLines(lines)).toEqual(sortedByBufferCompare(lines));
      }),
      { numRuns: 300 },
    );
  });

  it('handles big groups of long equal or nearly equal lines', () => {
    const base = Buffer.alloc(200, 'x');
    const lines: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const line = Buffer.from(base.subarray(0, 150 + (i % 50)));
      if (i % 7 === 0) line[line.length - 1] = 0;
      lines.push(line);
    }
    expect(sortedBySortLines(lines)).toEqual(sortedByBufferCompare(lines));
  });
});

describe('compareBytes', () => {
  it('agrees in sign with Buffer.compare', () => {
    fc.assert(
      fc.property(lineArb, lineArb, (a, b) => {
        expect(Math.sign(compareBytes(a, 0, a.length, b, 0, b.length))).toBe(Buffer.compare(a, b));
      }),
    );
  });
});
