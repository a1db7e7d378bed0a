// Time as the increments service reads it: an ISO-8601 timestamp that names its zone, or a `YYYY-MM-DD_HH:MM`
// key that is UTC, each turned into the start of its UTC hour (milliseconds since the epoch), which is the
// bucket it counts in. Both parsers check the calendar themselves: Date.parse accepts 2025-02-30 (as March 2)
// and 24:00, and a timestamp without a zone would be read in the server's local time, so none of them is
// trusted to it. Seconds beyond milliseconds are accepted and cannot change the hour.
export const HOUR_MS = 3_600_000;

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const MULTI_KEY = /^(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2})$/;

export type Parsed = { ok: true; hour: number } | { ok: false; reason: string };
export type ParsedTimestamp = { ok: true; instant: number; hour: number } | { ok: false; reason: string };

/** The UTC hour of an ISO-8601 timestamp with `Z` or an offset, e.g. `2025-01-01T13:45:00+02:00` → 11:00Z. */
export function hourOfTimestamp(text: string): ParsedTimestamp {
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
    fraction = '0',
    zulu,
    sign,
    offsetHours,
    offsetMinutes,
  ] = match;
  const local = utcMillis(year!, month!, day!, hour!, minute!, second);
  if (local === null) return { ok: false, reason: `is not a date and time that exists: "${text}"` };
  let offsetMs = 0;
  if (!zulu) {
    const hours = Number(offsetHours);
    const minutes = Number(offsetMinutes);
    if (hours > 23 || minutes > 59)
      return { ok: false, reason: `has an offset that does not exist: "${text}"` };
    offsetMs = (sign === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  const instant = local - offsetMs + Number(fraction.slice(0, 3).padEnd(3, '0'));
  return { ok: true, instant, hour: floorToHour(instant) };
}

/** The UTC hour a `YYYY-MM-DD_HH:MM` key of /page-views/multi names; the minutes are checked, then ignored. */
export function hourOfMultiKey(text: string): Parsed {
  const match = MULTI_KEY.exec(text);
  if (!match) return { ok: false, reason: `must be a UTC hour as YYYY-MM-DD_HH:MM, got "${text}"` };
  const [, year, month, day, hour, minute] = match;
  const millis = utcMillis(year!, month!, day!, hour!, minute!, '00');
  if (millis === null) return { ok: false, reason: `is not a date and time that exists: "${text}"` };
  return { ok: true, hour: floorToHour(millis) };
}

export function floorToHour(millis: number): number {
  return Math.floor(millis / HOUR_MS) * HOUR_MS;
}

// Milliseconds since the epoch of a UTC wall-clock time, or null when a field is out of its range.
function utcMillis(
  year: string,
  month: string,
  day: string,
  hour: string,
  minute: string,
  second: string,
): number | null {
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  if (d > daysInMonth(y, mo)) return null;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
