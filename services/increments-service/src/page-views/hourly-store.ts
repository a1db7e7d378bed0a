// Writes a batch of hourly view counts in ONE statement: a multi-row INSERT … ON CONFLICT that adds to the
// existing buckets. One statement means no explicit transaction and all-or-nothing per batch. The rows go in as
// three arrays (unnest), so a batch of any size is one small statement with three parameters — a VALUES list
// would need three parameters per row and hit PostgreSQL's limit of 65,535 at about 21,000 rows — and unnest
// keeps the arrays' order, which is the order the rows are locked in.
import type pg from 'pg';
import type { HourlyViews } from './group-commit.js';

const UPSERT = `
  INSERT INTO page_views_hourly AS bucket (page, hour, views)
  SELECT page, to_timestamp(epoch_seconds), views
  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS batch(page, epoch_seconds, views)
  ON CONFLICT (page, hour) DO UPDATE SET views = bucket.views + excluded.views`;

export async function addHourlyViews(pool: pg.Pool, rows: readonly HourlyViews[]): Promise<void> {
  const pages = new Array<string>(rows.length);
  const hours = new Array<number>(rows.length);
  const views = new Array<number>(rows.length);
  rows.forEach((row, index) => {
    pages[index] = row.page;
    hours[index] = row.hour / 1000;
    views[index] = row.views;
  });
  await pool.query({ name: 'add-hourly-views', text: UPSERT, values: [pages, hours, views] });
}
