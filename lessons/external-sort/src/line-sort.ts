// Sorts the lines of one run in memory, bytewise, without turning them into strings.
//
// The lines live in one byte array (`text`), each followed by its newline; `bounds` holds n + 1 offsets, line i
// being text[bounds[i], bounds[i + 1] - 1). The sort permutes `order`, an array of line numbers, and leaves
// the text alone.
//
// It is an MSD radix sort whose digits are several bytes wide, with V8's native typed-array sort doing the work
// of each digit. For a group of lines that agree on their first `depth` bytes, each line gets one float64:
//
//     (the next k bytes, as a big-endian number) · 2^b + (the line's position in the group)
//
// where the group has at most 2^b lines and k = ⌊(53 − b) / 8⌋ bytes fit beside the position in a double's
// 53-bit integer range (6 bytes for small groups, 4 for up to 2^21 lines, 3 beyond). Float64Array.sort()
// without a comparator runs in C++ with no call back into JavaScript, which is what makes this fast: most
// lines are placed after one pass over 4 bytes of each. Lines whose k bytes tie form a smaller group that is
// sorted the same way from depth + k; small groups get an insertion sort with a byte-by-byte comparison.
//
// A line shorter than depth + k is padded with zero bytes. Padding can make lines tie but never inverts two
// lines (a prefix sorts first, and 0 is the smallest byte), so the ties are settled further down. When every
// line of a group has ended, the lines are equal up to trailing zero bytes, and ordering them by length
// finishes them: that is the case of duplicate lines, which therefore cost one pass per k bytes of their length.
import { compareBytes } from './compare.js';

/** Below this many lines a group is insertion-sorted: cheaper than a pass plus a native sort call. */
const INSERTION_SORT_MAX = 12;

/**
 * Sorts `order` (filled here with 0..n−1) so that the lines it lists are in bytewise order.
 * `keys` is scratch space of at least n doubles.
 */
export function sortLines(
  text: Uint8Array,
  bounds: Uint32Array,
  order: Uint32Array,
  keys: Float64Array,
): void {
  const n = order.length;
  for (let i = 0; i < n; i++) order[i] = i;
  // Big groups still to sort, as (lo, hi, depth) triples: an explicit stack, because a group of long equal lines
  // would otherwise recurse once per k bytes of their length. Small groups are sorted as soon as they are found.
  const pending: number[] = [];
  const sortGroup = (lo: number, hi: number, depth: number) => {
    if (hi - lo <= INSERTION_SORT_MAX) insertionSort(text, bounds, order, lo, hi, depth);
    else pending.push(lo, hi, depth);
  };
  sortGroup(0, n, 0);
  while (pending.length > 0) {
    const depth = pending.pop() as number;
    const hi = pending.pop() as number;
    const lo = pending.pop() as number;
    const positionBits = 32 - Math.clz32(hi - lo - 1);
    const scale = 2 ** positionBits;
    const keyBytes = Math.min(6, Math.floor((53 - positionBits) / 8));

    let someLineGoesOn = false;
    for (let i = lo; i < hi; i++) {
      const line = order[i] as number;
      const from = (bounds[line] as number) + depth;
      const end = (bounds[line + 1] as number) - 1;
      if (from < end) someLineGoesOn = true;
      let digit = 0;
      for (let j = from; j < from + keyBytes; j++) digit = digit * 256 + (j < end ? (text[j] as number) : 0);
      keys[i] = digit * scale + (i - lo);
    }
    if (!someLineGoesOn) {
      // All lines ended before depth: equal but for trailing zero bytes, so the shorter ones come first.
      for (let i = lo; i < hi; i++) {
        const line = order[i] as number;
        keys[i] = ((bounds[line + 1] as number) - (bounds[line] as number)) * scale + (i - lo);
      }
    }
    keys.subarray(lo, hi).sort();

    // Decode the positions into the new order, in `keys` since `order` is still being read. A line that starts
    // a new digit is stored as −(line + 1), which marks where each group of equal digits begins.
    let previousDigit = -1;
    for (let i = lo; i < hi; i++) {
      const packed = keys[i] as number;
      const digit = Math.floor(packed / scale);
      const line = order[lo + (packed - digit * scale)] as number;
      keys[i] = digit === previousDigit ? line : -line - 1;
      previousDigit = digit;
    }
    // Copy the order back; each group of equal digits, once complete, is sorted from depth + keyBytes.
    let groupStart = lo;
    for (let i = lo; i <= hi; i++) {
      const value = i < hi ? (keys[i] as number) : -1;
      if (value < 0) {
        if (i - groupStart > 1 && someLineGoesOn) sortGroup(groupStart, i, depth + keyBytes);
        groupStart = i;
      }
      if (i < hi) order[i] = value < 0 ? -value - 1 : value;
    }
  }
}

function insertionSort(
  text: Uint8Array,
  bounds: Uint32Array,
  order: Uint32Array,
  lo: number,
  hi: number,
  depth: number,
): void {
  for (let i = lo + 1; i < hi; i++) {
    const line = order[i] as number;
    const start = (bounds[line] as number) + depth;
    const end = (bounds[line + 1] as number) - 1;
    let j = i;
    for (; j > lo; j--) {
      const other = order[j - 1] as number;
      const otherStart = (bounds[other] as number) + depth;
      const otherEnd = (bounds[other + 1] as number) - 1;
      if (compareFrom(text, otherStart, otherEnd, start, end) <= 0) break;
      order[j] = other;
    }
    order[j] = line;
  }
}

/** compareBytes for lines already known to agree on their first `depth` bytes (`start` may pass `end`). */
function compareFrom(text: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  if (aStart >= aEnd || bStart >= bEnd) return aEnd - aStart - (bEnd - bStart);
  return compareBytes(text, aStart, aEnd, text, bStart, bEnd);
}
