// The reads behind the reports, and nothing about HTTP. Each report is one SQL statement whose plan is an index
// range scan, so its cost depends on the rows it returns (at most 24 hours, 366 days or 100 pages), never on
// the size of the tables:
//   - hourly: the primary key (page, hour), between the first hour and the hour containing `now`;
//   - daily: the materialized view's unique index (page, day), between `from` and `to`;
//   - top: the view's index (day, views DESC, page), whose first `limit` entries of the day are the answer.
// Only hours and days that have views are stored; the zero-filled series are built here, which is cheaper
// than joining the index against generate_series (that join reads every row of the page to hash it).
//
// The daily reports read the view and its refresh stamp in one statement, so they see one snapshot: the stamp
// never claims a refresh whose data the statement did not read.
import { queryRows } from '@backend-rebase/db';
import type pg from 'pg';
import { formatDay } from './day-range.js';
import { HOUR_MS } from '@backend-rebase/page-views';

export interface HourViews {
  /** start of the UTC hour, epoch ms */
  hour: number;
  views: number;
}

export interface DayViews {
  /** UTC day number (days since 1970-01-01) */
  day: number;
  views: number;
}

export interface PageViews {
  page: string;
  views: number;
}

/** What the materialized view holds, and when it was last refreshed (null before the first refresh). */
export interface ViewRead<T> {
  refreshedAt: Date | null;
  rows: T[];
}

export const HOURLY_SQL = `
  SELECT hour, views FROM page_views_hourly
  WHERE page = $1 AND hour >= $2 AND hour < $3`;

// The stamp comes from a one-row subquery, so there is a row to carry it even when the view has none. Days
// travel as day numbers: integers mean the same in every session, whatever its DateStyle or time zone.
const DAILY_SQL = `
  SELECT stamp.refreshed_at, daily.day, daily.views
  FROM (SELECT (SELECT refreshed_at FROM page_views_daily_refresh) AS refreshed_at) AS stamp
  LEFT JOIN LATERAL (
    SELECT day - DATE '1970-01-01' AS day, views FROM page_views_daily
    WHERE page = $1 AND day BETWEEN $2 AND $3
  ) AS daily ON true`;

const TOP_SQL = `
  SELECT stamp.refreshed_at, top.page, top.views
  FROM (SELECT (SELECT refreshed_at FROM page_views_daily_refresh) AS refreshed_at) AS stamp
  LEFT JOIN LATERAL (
    SELECT page, views FROM page_views_daily
    WHERE day = $1
    ORDER BY views DESC, page
    LIMIT $2
  ) AS top ON true`;

export class ReportStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Views of the page in each of `hours` (consecutive hour starts, ascending), 0 where none are stored. */
  async hourly(page: string, hours: number[]): Promise<HourViews[]> {
    const first = hours[0];
    const last = hours.at(-1);
    if (first === undefined || last === undefined) return [];
    const rows = await this.query<{ hour: Date; views: string }>('analytics_hourly', HOURLY_SQL, [
      page,
      new Date(first).toISOString(),
      new Date(last + HOUR_MS).toISOString(),
    ]);
    const stored = new Map(rows.map((row) => [row.hour.getTime(), Number(row.views)]));
    return hours.map((hour) => ({ hour, views: stored.get(hour) ?? 0 }));
  }

  /** Views of the page on each day from `from` to `to` (day numbers, inclusive), 0 where the view has none. */
  async daily(page: string, from: number, to: number): Promise<ViewRead<DayViews>> {
    const rows = await this.query<{ refreshed_at: Date | null; day: number | null; views: string | null }>(
      'analytics_daily',
      DAILY_SQL,
      [page, formatDay(from), formatDay(to)],
    );
    const stored = new Map(rows.flatMap((row) => (row.day === null ? [] : [[row.day, Number(row.views)]])));
    return {
      refreshedAt: rows[0]?.refreshed_at ?? null,
      rows: Array.from({ length: to - from + 1 }, (_, index) => {
        const day = from + index;
        return { day, views: stored.get(day) ?? 0 };
      }),
    };
  }

  /** The day's `limit` most viewed pages, views descending then page ascending. */
  async top(day: number, limit: number): Promise<ViewRead<PageViews>> {
    const rows = await this.query<{ refreshed_at: Date | null; page: string | null; views: string | null }>(
      'analytics_top',
      TOP_SQL,
      [formatDay(day), limit],
    );
    return {
      refreshedAt: rows[0]?.refreshed_at ?? null,
      rows: rows.flatMap((row) => (row.page === null ? [] : [{ page: row.page, views: Number(row.views) }])),
    };
  }

  private query<Row extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<Row[]> {
    return queryRows<Row>(this.pool, { name, text, values });
  }
}
