// The small pure rules, without a database: the full-name rule and the cursor's encoding.
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/users/cursor.js';
import { checkFullName } from '../src/users/full-name.js';

describe('checkFullName', () => {
  it('trims, and counts code points, not UTF-16 units', () => {
    expect(checkFullName('  Jane Doe \n')).toEqual({ ok: true, value: 'Jane Doe' });
    expect(checkFullName('𝒜'.repeat(200))).toEqual({ ok: true, value: '𝒜'.repeat(200) });
    expect(checkFullName('𝒜'.repeat(201))).toEqual({
      ok: false,
      problem: 'must be at most 200 characters after trimming, got 201',
    });
  });

  it('keeps combining marks as they are (no normalisation)', () => {
    const decomposed = 'Zoe\u0308';
    expect(checkFullName(decomposed)).toEqual({ ok: true, value: decomposed });
  });

  it('refuses blank names, NUL and unpaired surrogates', () => {
    expect(checkFullName('\u2003\t')).toMatchObject({ ok: false });
    expect(checkFullName('a\u0000')).toMatchObject({ ok: false });
    expect(checkFullName('\udc00a')).toMatchObject({ ok: false });
  });
});

describe('cursor', () => {
  const key = { joinedAt: '2025-03-01T10:20:30.123456Z', id: '01890a5d-ac96-774b-bcce-b302099a8057' };

  it('decodes what it encoded, as URL-safe text', () => {
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(key);
  });

  it.each([
    ['not base64url JSON', '!!!'],
    ['JSON that is not an object', Buffer.from('[1,2]').toString('base64url')],
    ['a timestamp without microseconds', encodeCursor({ ...key, joinedAt: '2025-03-01T10:20:30.123Z' })],
    ['a timestamp with an offset', encodeCursor({ ...key, joinedAt: '2025-03-01T10:20:30.123456+01:00' })],
    ['a day that does not exist', encodeCursor({ ...key, joinedAt: '2025-02-29T10:20:30.123456Z' })],
    ['an hour that does not exist', encodeCursor({ ...key, joinedAt: '2025-03-01T24:20:30.123456Z' })],
    ['an id that is not a uuid', encodeCursor({ ...key, id: 'x' })],
  ])('rejects %s', (_what, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});
