// The days of GET /reports/daily/:page and /reports/top, as UTC calendar days counted from 1970-01-01 (day 0),
// so that a range is plain integer arithmetic: no time zone, no daylight saving time, no month lengths.
//
// When `from` or `to` is left out, the range is the 30 days that end today (UTC); given only `to`, the 30 days
// that end then; given only `from`, everything from then to today. A range has at most 366 days (a leap year),
// and `from` may equal `to` (one day).

const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 366;
const DEFAULT_RANGE_DAYS = 30;

/** The earliest day accepted, 1970-01-01, for the same reason as hour-window.ts's earliest `now`. */
export const EARLIEST_DAY = 0;

export type RangeCheck =
  { ok: true; from: number; to: number } | { ok: false; fields: ('from' | 'to')[]; problem: string };

/** The day number of `YYYY-MM-DD` text that the schema's `date` format has already found to be a real date. */
export function parseDay(text: string): number {
  return Date.parse(`${text}T00:00:00Z`) / DAY_MS;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The UTC day that contains the instant (epoch ms). */
export function dayOf(instant: number): number {
  return Math.floor(instant / DAY_MS);
}

/** The range a daily report covers, from what the request gave; `today` fills in what it left out. */
export function dailyRange(given: { from?: number; to?: number }, today: number): RangeCheck {
  const to = given.to ?? today;
  const from = given.from ?? to - (DEFAULT_RANGE_DAYS - 1);
  if (from > to) {
    return {
      ok: false,
      fields: given.to === undefined ? ['from'] : ['from', 'to'],
      problem: `from (${formatDay(from)}) is after to (${formatDay(to)}${given.to === undefined ? ', today' : ''})`,
    };
  }
  const days = to - from + 1;
  if (days > MAX_RANGE_DAYS) {
    return {
      ok: false,
      fields: ['from', 'to'],
      problem: `from ${formatDay(from)} to ${formatDay(to)} is ${days} days; a report covers at most ${MAX_RANGE_DAYS}`,
    };
  }
  return { ok: true, from, to };
}
