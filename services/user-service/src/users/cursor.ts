// The `next` cursor of GET /users: where the following page starts, as the (joined_at, id) key of the last
// user on the current page. To the client it is an opaque string — base64url of a small JSON object — that it
// passes back unchanged. It is not signed: it grants nothing, and decodeCursor checks every part, so a forged
// cursor can only move the page's start, never reach the database as anything but a timestamp and a uuid.
//
// joined_at is kept as text with microseconds, exactly as PostgreSQL stores it. A JavaScript Date holds
// milliseconds only; a cursor rounded to them would repeat the users who joined later in the same millisecond.

export interface PageKey {
  /** joined_at of the last user on the page, UTC with microseconds: `2025-01-31T12:00:00.123456Z` */
  joinedAt: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify({ j: key.joinedAt, i: key.id })).toString('base64url');
}

/** The key a cursor holds, or null when the text is not a cursor this service gave out. */
export function decodeCursor(cursor: string): PageKey | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { j: joinedAt, i: id } = parsed as Record<string, unknown>;
  if (typeof joinedAt !== 'string' || typeof id !== 'string') return null;
  if (!TIMESTAMP.test(joinedAt) || !UUID.test(id) || !isRealInstant(joinedAt)) return null;
  return { joinedAt, id };
}

// The pattern lets through dates such as February 30th, which PostgreSQL would reject with an error: a date
// is real when JavaScript reads it back to the same text (to the second).
function isRealInstant(timestamp: string): boolean {
  const time = Date.parse(timestamp);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 19) === timestamp.slice(0, 19);
}
