// One analytics database per test file (created on the run's PostgreSQL server, migrated with
// migrations/analytics), with what the tests need to fill page_views_hourly and read it back in full.
import { createTestDatabase, type TestDatabase } from '@backend-rebase/db/testing';
import { HOUR_MS } from '@backend-rebase/page-views';
import type pg from 'pg';

export interface Bucket {
  page: string;
  /** ISO-8601 UTC, on the hour */
  hour: string;
  views: number;
}

export interface BucketDatabase {
  database: TestDatabase;
  /** A query on a connection of its own, outside any pool the code under test uses. */
  sql: <T extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ) => Promise<T[]>;
  /** Empties the table, then inserts these buckets. */
  reset: (buckets: Bucket[]) => Promise<void>;
  /** The whole table, in the order of sorted(). */
  buckets: () => Promise<Bucket[]>;
  close: () => Promise<void>;
}

export async function createBucketDatabase(label: string): Promise<BucketDatabase> {
  const database = await createTestDatabase(`wolf ${label}`, { migrations: 'analytics' });
  const sql = database.sql.bind(database);
  return {
    database,
    sql,
    async reset(buckets) {
      await sql('TRUNCATE page_views_hourly');
      await sql(
        `INSERT INTO page_views_hourly (page, hour, views)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[])`,
        [buckets.map((b) => b.page), buckets.map((b) => b.hour), buckets.map((b) => b.views)],
      );
    },
    async buckets() {
      const rows = await sql<{ page: string; hour: Date; views: string }>(
        'SELECT page, hour, views FROM page_views_hourly',
      );
      return sorted(
        rows.map((row) => ({ page: row.page, hour: row.hour.toISOString(), views: Number(row.views) })),
      );
    },
    close: () => database.drop(),
  };
}

/** The start of the UTC hour `offset` hours after `hour` (negative: before). */
export function hoursAfter(hour: Date | string, offset: number): string {
  return new Date(new Date(hour).getTime() + offset * HOUR_MS).toISOString();
}

/** Buckets of each page for each hour offset from `base`, with views that differ from bucket to bucket. */
export function bucketsAround(base: Date | string, pages: string[], offsets: number[]): Bucket[] {
  return pages.flatMap((page, p) =>
    offsets.map((offset, o) => ({ page, hour: hoursAfter(base, offset), views: 1 + p * 100 + o })),
  );
}

/** By page, then hour (in JavaScript, so the database's collation does not matter). */
export function sorted(buckets: Bucket[]): Bucket[] {
  return [...buckets].sort((a, b) => a.page.localeCompare(b.page) || a.hour.localeCompare(b.hour));
}
