// The hours of GET /report/:page: the `take` complete UTC hours before the hour that contains `now`. The hour
// that contains `now` is still filling up, so it is never reported, whether `now` is in its middle or exactly
// on its first millisecond. Hours are counted in UTC milliseconds: an hour is 3,600,000 ms on every day of the
// year, so daylight saving time never shortens or repeats one.

export const HOUR_MS = 3_600_000;

/**
 * The earliest `now` accepted, 1970-01-01T00:00:00Z: no page view is older, and it keeps every hour in years
 * that JavaScript, ISO-8601 and PostgreSQL all write the same way (they disagree about year 0 and before).
 */
export const EARLIEST_NOW_MS = 0;

// What Ajv's `date-time` format accepts (RFC 3339): seconds required, a zone required (Z or an offset whose
// minutes may be left out), T or a space between date and time, any case. The schema has already checked
// that the calendar date and the clock time exist.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/i;

/**
 * The instant as epoch milliseconds, or null when the text is not an RFC 3339 date-time. Digits beyond the
 * millisecond are dropped. A leap second (23:59:60) counts as the last moment of its minute, so it stays in
 * the hour it belongs to.
 */
export function parseInstant(text: string): number | null {
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second,
    fraction = '',
    sign,
    offsetHours = '0',
    offsetMinutes = '0',
  ] = match;
  const leapSecond = Number(second) === 60;
  // setUTCFullYear, unlike Date.UTC, does not read the years 0000-0099 as 1900-1999.
  const local = new Date(0);
  local.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  local.setUTCHours(
    Number(hour),
    Number(minute),
    leapSecond ? 59 : Number(second),
    leapSecond ? 999 : Number(fraction.slice(0, 3).padEnd(3, '0')),
  );
  const offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  return local.getTime() + (sign === '-' ? offset : sign === '+' ? -offset : 0);
}

/** Start (epoch ms) of the UTC hour that contains the instant. */
export function hourOf(instant: number): number {
  return Math.floor(instant / HOUR_MS) * HOUR_MS;
}

/** The starts of the `take` complete hours before the hour containing `now`, oldest first. */
export function reportHours(now: number, take: number): number[] {
  const current = hourOf(now);
  return Array.from({ length: take }, (_, index) => current - (take - index) * HOUR_MS);
}
