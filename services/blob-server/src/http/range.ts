// The single byte range of a `Range` header (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or the suffix `bytes=-n`.
// An end past the last byte is clamped to it. A range that starts past the end, or any range of an empty blob,
// cannot be satisfied (416). What this server does not serve as a range — another unit, several ranges, text
// that is not a range at all — is ignored, as the RFC allows, and the whole blob is sent.
export interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}

const SINGLE_RANGE = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/;

export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : SINGLE_RANGE.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;

  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
