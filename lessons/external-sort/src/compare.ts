// Bytewise line comparison: the order of `LC_ALL=C sort`. Bytes compare as unsigned numbers; when one line is
// a prefix of the other, the shorter comes first. The lines are given as ranges [start, end) of byte arrays,
// without their newline, so nothing is copied or decoded to compare them.

/** Negative, zero or positive as a[aStart, aEnd) sorts before, equal to or after b[bStart, bEnd). */
export function compareBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const common = aLength < bLength ? aLength : bLength;
  // A plain loop beats Buffer.compare here: most lines differ within their first few bytes, and a call into
  // C++ costs more than that. Lines that share long prefixes are where memcmp would win.
  for (let i = 0; i < common; i++) {
    const difference = (a[aStart + i] as number) - (b[bStart + i] as number);
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/** Whether the two ranges hold the same bytes: compareBytes, with different lengths settled without a loop. */
export function equalBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): boolean {
  return aEnd - aStart === bEnd - bStart && compareBytes(a, aStart, aEnd, b, bStart, bEnd) === 0;
}
