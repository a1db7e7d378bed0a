// One analytics service per test file, on a database of its own (created on the run's PostgreSQL server,
// migrated with migrations/analytics): the app, its pool, the log lines it wrote, and SQL access to seed and
// inspect the tables.
import { createPool } from '@backend-rebase/db';
import { createTestDatabase, inFarTimeZone, type TestDatabase } from '@backend-rebase/db/testing';
import { captureLogger } from '@backend-rebase/logger/testing';
import type { Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export interface TestService {
  app: Service;
  pool: pg.Pool;
  database: TestDatabase;
  /** The JSON log lines written so far. */
  lines: () => Record<string, unknown>[];
  /** A query on a connection of its own, outside the app's pool. */
  sql: <T extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ) => Promise<T[]>;
  close: () => Promise<void>;
}

export interface TestServiceOptions {
  poolSize?: number;
  /** the pool's statement_timeout; default createPool's */
  statementTimeoutMs?: number;
}

export async function startTestService(
  label: string,
  options: TestServiceOptions = {},
): Promise<TestService> {
  const database = await createTestDatabase(`analytics ${label}`, { migrations: 'analytics' });
  const { poolSize = 10, statementTimeoutMs } = options;
  const pool = createPool({
    connectionString: inFarTimeZone(database.url),
    max: poolSize,
    statementTimeoutMs,
  });
  const { logger, lines } = captureLogger('analytics-service');
  const app = await buildApp(testConfig(), { logger, pool });

  return {
    app,
    pool,
    database,
    lines,
    sql: (text, values) => database.sql(text, values),
    async close() {
      await app.close();
      await pool.end();
      await database.drop();
    },
  };
}

/** The configuration of an empty environment (every default), with these settings changed. */
export function testConfig(settings: Partial<Config> = {}): Config {
  return { ...loadConfig({ env: {}, dotenvPath: '/nonexistent/.env' }), ...settings };
}

/** Adds views to the hourly buckets: `[page, hour ISO, views]`, as the increments service would. */
export async function addViews(service: TestService, rows: [string, string, number][]): Promise<void> {
  if (rows.length === 0) return;
  await service.sql(
    `INSERT INTO page_views_hourly (page, hour, views)
     SELECT page, hour, views FROM unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS r(page, hour, views)
     ON CONFLICT (page, hour) DO UPDATE SET views = page_views_hourly.views + excluded.views`,
    [rows.map((row) => row[0]), rows.map((row) => row[1]), rows.map((row) => row[2])],
  );
}

/** Refreshes the daily view through the service, as the benchmark does. */
export async function refresh(service: TestService): Promise<string> {
  const response = await service.app.inject({ method: 'POST', url: '/internal/refresh' });
  if (response.statusCode !== 200)
    throw new Error(`refresh answered ${response.statusCode}: ${response.body}`);
  return response.json<{ refreshedAt: string }>().refreshedAt;
}
