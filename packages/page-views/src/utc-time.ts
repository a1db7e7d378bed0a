// Time as the analytics services read it: an ISO-8601 / RFC 3339 timestamp that names its zone, or the
// `YYYY-MM-DD_HH:MM` keys of /page-views/multi, which are UTC; and the UTC hour (epoch milliseconds of its
// start) that a time falls in, which is the bucket views count in.
//
// Both parsers check the calendar themselves. Date.parse accepts 2025-02-30 (as March 2) and 24:00, and reads
// a timestamp without a zone in the server's local time, so it is trusted with none of them. Digits beyond the
// millisecond are accepted and dropped (they cannot change the hour). A leap second (23:59:60) counts as the
// last moment of its minute, so it stays in the hour it belongs to.
export const HOUR_MS = 3_600_000;

// Date, T (any case) or a space, time with optional seconds and fraction, and a zone: Z, or an offset whose
// minutes may be left out (+02, +0200, +02:00).
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;
const MULTI_KEY = /^(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2})$/;

type Parsed = { ok: true; value: number } | { ok: false; reason: string };

/** The instant (epoch ms) of a timestamp with `Z` or an offset, e.g. `2025-01-01T13:45:00+02:00`. */
export function parseTimestamp(text: string): Parsed {
  const match = TIMESTAMP.exec(text);
  if (!match) {
    return {
      ok: false,
      reason: `must be an ISO-8601 timestamp with a zone, like 2025-01-01T13:45:00Z or 2025-01-01T13:45:00+02:00, got "${text}"`,
    };
  }
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second = '00',
    fraction = '',
    sign,
    offsetHours = '0',
    offsetMinutes = '0',
  ] = match;
  const leapSecond = second === '60';
  const wallClock = utcMillis(
    [year, month, day, hour, minute, leapSecond ? '59' : second].map(Number) as Fields,
  );
  if (wallClock === null) return { ok: false, reason: `is not a date and time that exists: "${text}"` };
  if (Number(offsetHours) > 23 || Number(offsetMinutes) > 59) {
    return { ok: false, reason: `has an offset that does not exist: "${text}"` };
  }
  const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  const millis = leapSecond ? 999 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  return { ok: true, value: wallClock + millis + (sign === '-' ? offsetMs : sign === '+' ? -offsetMs : 0) };
}

/** The UTC hour a `YYYY-MM-DD_HH:MM` key names; the minutes are checked, then ignored. */
export function parseMultiKey(text: string): Parsed {
  const match = MULTI_KEY.exec(text);
  if (!match) return { ok: false, reason: `must be a UTC hour as YYYY-MM-DD_HH:MM, got "${text}"` };
  const [, year, month, day, hour, minute] = match;
  const millis = utcMillis([year, month, day, hour, minute, '00'].map(Number) as Fields);
  if (millis === null) return { ok: false, reason: `is not a date and time that exists: "${text}"` };
  return { ok: true, value: floorToHour(millis) };
}

/** Start (epoch ms) of the UTC hour that contains the instant. */
export function floorToHour(millis: number): number {
  return Math.floor(millis / HOUR_MS) * HOUR_MS;
}

type Fields = [year: number, month: number, day: number, hour: number, minute: number, second: number];

// Epoch milliseconds of a UTC wall-clock time, or null when a field is out of its range.
function utcMillis([year, month, day, hour, minute, second]: Fields): number | null {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
