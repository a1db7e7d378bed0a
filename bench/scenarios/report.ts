// /report/:page latency as page_views_hourly grows: the same requests (a random page of the table, 24 hours
// before a fixed `now`) against two analytics-service processes, one on a database holding 1M hourly rows (the
// baseline) and one on a database holding 10M. The report reads at most 24 entries of the (page, hour) primary
// key, so the contract asks for latency that stays flat: a ratio near 1.00× is the goal, not a higher one.
//
// Both tables have the same shape — pages × hours from 2025-01-01, 1,000 hours each — so only the row count
// differs (10 times the pages). Smoke mode uses 10k and 100k rows.
import { createPool } from '@backend-rebase/db';
import {
  benchDatabase,
  defineScenario,
  loadRows,
  startDatabaseService,
  wrkPath,
  type ScenarioContext,
} from '../lib/index.js';

const CONNECTIONS = 32;
const HOURS = 1000;
// In the middle of the filled hours, so every report has 24 hours of data.
const NOW = '2025-01-21T12:30:00Z';

export default defineScenario({
  name: 'report',
  description: `analytics-service: GET /report/:page (24 hours) of a random page, ${CONNECTIONS} clients, with 10M rows in page_views_hourly.`,
  baseline: 'the same requests against a table of 1M rows (flat latency = 1.00×).',
  async run(ctx) {
    const [small, large] = ctx.smoke ? [10_000, 100_000] : [1_000_000, 10_000_000];
    const baselineBase = await reportService(ctx, 'report_small', small);
    const projectBase = await reportService(ctx, 'report_large', large);

    const label = `GET /report/:page, ${format(large)} rows vs ${format(small)}`;
    ctx.log(`${label}: ${ctx.durationSeconds} s each, in alternating rounds`);
    const { project, baseline } = await ctx.compareLoad({
      label,
      project: reportsOf(projectBase, large / HOURS),
      baseline: reportsOf(baselineBase, small / HOURS),
      rounds: ctx.smoke ? 2 : 4,
      warmupSeconds: ctx.smoke ? 0 : Math.min(2, ctx.durationSeconds / 5),
    });
    return loadRows(label, { project, baseline }, ['req/s', 'p50 ms', 'p95 ms', 'p99 ms']);
  },
});

function reportsOf(base: string, pages: number) {
  return {
    url: `${base}/report/page-PAGE_NUMBER?now=${NOW}`,
    randomKey: { token: 'PAGE_NUMBER', below: pages },
    connections: CONNECTIONS,
    client: wrkPath() ? ('wrk' as const) : ('autocannon' as const),
  };
}

/** A database holding `rows` hourly rows, and an analytics service reading it; returns the service's URL. */
async function reportService(ctx: ScenarioContext, name: string, rows: number): Promise<string> {
  const url = await benchDatabase(ctx, name, { migrations: 'analytics' });
  await fill(ctx, url, rows);
  return startDatabaseService(ctx, {
    service: 'analytics-service',
    name: `analytics-service-${name}`,
    // The daily view plays no part in /report; refreshing it mid-measurement would only add noise.
    env: { ANALYTICS_DATABASE_URL: url, LOG_LEVEL: 'warn', MV_REFRESH_SECONDS: '86400' },
  });
}

/** Fills page_views_hourly with `rows` rows (pages × HOURS), unless a kept database already holds them. */
async function fill(ctx: ScenarioContext, url: string, rows: number): Promise<void> {
  // Filling and vacuuming millions of rows takes far longer than a service's statement_timeout allows.
  const pool = createPool({ connectionString: url, max: 1, statementTimeoutMs: 3_600_000 });
  try {
    const { rows: counted } = await pool.query<{ rows: string }>(
      'SELECT count(*) AS rows FROM page_views_hourly',
    );
    if (Number(counted[0]?.rows) === rows) return;
    ctx.log(`filling page_views_hourly with ${format(rows)} rows`);
    const started = performance.now();
    await pool.query('TRUNCATE page_views_hourly');
    // In primary-key order, so the index grows at its right edge instead of splitting pages all over.
    await pool.query(
      `INSERT INTO page_views_hourly (page, hour, views)
       SELECT 'page-' || p, timestamptz '2025-01-01T00:00:00Z' + h * interval '1 hour', 1 + (p + h) % 17
       FROM generate_series(0, $1::int - 1) AS p, generate_series(0, $2::int - 1) AS h
       ORDER BY 'page-' || p, h`,
      [rows / HOURS, HOURS],
    );
    await pool.query('VACUUM ANALYZE page_views_hourly');
    ctx.log(`filled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await pool.end();
  }
}

function format(rows: number): string {
  return rows >= 1_000_000 ? `${rows / 1_000_000}M` : `${rows / 1000}k`;
}
