// The hours of GET /report/:page: the `take` complete UTC hours before the hour that contains `now`. The hour
// that contains `now` is still filling up, so it is never reported, whether `now` is in its middle or exactly
// on its first millisecond. Hours are counted in UTC milliseconds: an hour is 3,600,000 ms on every day of the
// year, so daylight saving time never shortens or repeats one.

import { floorToHour, HOUR_MS } from '@backend-rebase/page-views';

/**
 * The earliest `now` accepted, 1970-01-01T00:00:00Z: no page view is older, and it keeps every hour in years
 * that JavaScript, ISO-8601 and PostgreSQL all write the same way (they disagree about year 0 and before).
 */
export const EARLIEST_NOW_MS = 0;

/** The starts of the `take` complete hours before the hour containing `now`, oldest first. */
export function reportHours(now: number, take: number): number[] {
  const current = floorToHour(now);
  return Array.from({ length: take }, (_, index) => current - (take - index) * HOUR_MS);
}
