// One user service per test file, on a database of its own (created on the run's PostgreSQL server, migrated
// with migrations/users): the app, its pool, the log lines it wrote, and SQL access to look at the table.
import { createPool } from '@backend-rebase/db';
import { createTestDatabase, inFarTimeZone, type TestDatabase } from '@backend-rebase/db/testing';
import { captureLogger } from '@backend-rebase/logger/testing';
import type { Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export interface TestService {
  app: Service;
  pool: pg.Pool;
  database: TestDatabase;
  /** The JSON log lines written so far. */
  lines: () => Record<string, unknown>[];
  /** Log lines of one event (`user.created`, …). */
  events: (event: string) => Record<string, unknown>[];
  /** A query on a connection of its own, outside the app's pool. */
  sql: <T extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ) => Promise<T[]>;
  close: () => Promise<void>;
}

export interface TestServiceOptions {
  /** Where the app's pool connects instead of the test database (e.g. through a proxy). */
  poolUrl?: (database: TestDatabase) => string | Promise<string>;
  poolSize?: number;
  /** The level of the captured log; default info. */
  logLevel?: string;
}

export async function startTestService(
  label: string,
  options: TestServiceOptions = {},
): Promise<TestService> {
  const database = await createTestDatabase(`users ${label}`, { migrations: 'users' });
  const { poolUrl = (db: TestDatabase) => db.url, poolSize = 10, logLevel } = options;
  const pool = createPool({ connectionString: inFarTimeZone(await poolUrl(database)), max: poolSize });
  const { logger, lines } = captureLogger('user-service', logLevel);
  // Every setting at its default, whatever the environment of the test run holds.
  const config = loadConfig({ env: {}, dotenvPath: '/nonexistent/.env' });
  const app = await buildApp(config, { logger, pool });

  return {
    app,
    pool,
    database,
    lines,
    events: (event) => lines().filter((line) => line.message === event),
    sql: (text, values) => database.sql(text, values),
    async close() {
      await app.close();
      await pool.end();
      await database.drop();
    },
  };
}

/** A body as JSON with its content type, for app.inject. */
export function json(body: unknown): { payload: string; headers: Record<string, string> } {
  return { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}
