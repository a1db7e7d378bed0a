// One increments service per test file, on an analytics database of its own (created on the run's PostgreSQL
// server, migrated with migrations/analytics), listening on a real port, with SQL access to the table.
import { createPool } from '@backend-rebase/db';
import { createTestDatabase, inFarTimeZone, type TestDatabase } from '@backend-rebase/db/testing';
import { captureLogger } from '@backend-rebase/logger/testing';
import type { Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { Pool, type Dispatcher } from 'undici';
import { buildApp } from '../../src/app.js';
import { loadConfig, poolOptions, type Config } from '../../src/config.js';

export interface TestService {
  app: Service;
  url: string;
  database: TestDatabase;
  lines: () => Record<string, unknown>[];
  /** POSTs JSON over real connections (up to 256 at once). */
  post: (path: string, body: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;
  sql: <T extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ) => Promise<T[]>;
  /** Every bucket as `page hour → views`. */
  counts: () => Promise<Record<string, number>>;
  close: () => Promise<void>;
}

export function createAnalyticsDatabase(label: string): Promise<TestDatabase> {
  return createTestDatabase(`increments ${label}`, { migrations: 'analytics' });
}

export interface TestServiceOptions extends Partial<Config> {
  /** where the pool connects instead of the database, e.g. a TcpProxy in front of it */
  poolUrl?: (database: TestDatabase) => string | Promise<string>;
}

/** The service with every setting at its default but for `settings`, its pool opened as server.ts opens it. */
export async function startTestService(
  label: string,
  { poolUrl, ...settings }: TestServiceOptions = {},
): Promise<TestService> {
  const database = await createAnalyticsDatabase(label);
  const config: Config = { ...loadConfig({ env: {}, dotenvPath: '/nonexistent/.env' }), ...settings };
  const pool = createPool({
    connectionString: inFarTimeZone(poolUrl ? await poolUrl(database) : database.url),
    ...poolOptions(config),
  });
  const { logger, lines } = captureLogger('increments-service');
  const app = await buildApp(config, { logger, pool });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const client = new Pool(url, { connections: 256 });
  const sql = database.sql.bind(database);

  return {
    app,
    url,
    database,
    lines,
    post: (path, body) => postJson(client, path, body),
    sql,
    async counts() {
      const rows = await sql<{ page: string; hour: Date; views: string }>(
        'SELECT page, hour, views FROM page_views_hourly ORDER BY page, hour',
      );
      return Object.fromEntries(
        rows.map((row) => [`${row.page} ${row.hour.toISOString()}`, Number(row.views)]),
      );
    },
    async close() {
      await client.close();
      await app.close();
      await pool.end();
      await database.drop();
    },
  };
}

export async function postJson(
  client: Dispatcher,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await client.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
