// Test helpers: each test file gets a database of its own, on the server the global setup provides, so test
// files run in parallel and repeated runs never see each other's data.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connectClient } from '../client.js';
import { databaseUrl, ensureDatabase, migrationsDir } from '../database.js';
import { migrate } from '../migrator.js';
import { SERVER_URL_KEY } from './provided.js';

export { TcpProxy } from './tcp-proxy.js';

export interface TestDatabase {
  /** URL of the new database. */
  url: string;
  /** URL of the server's `postgres` database, for creating more. */
  serverUrl: string;
  name: string;
  /**
   * A query on connections of the test's own, outside any pool the code under test uses: to seed tables and to
   * look at what the code wrote.
   */
  sql<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Drops the database, disconnecting whoever is still connected. */
  drop(): Promise<void>;
}

/**
 * Call in `beforeAll`, and `drop()` in `afterAll`. With `migrations`, the new database is brought up to date
 * with migrations/<migrations> (`users`, `analytics`), as the service would at start-up.
 */
export async function createTestDatabase(
  label: string,
  { migrations }: { migrations?: string } = {},
): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = testDatabaseName(label);
  await ensureDatabase(serverUrl, name);
  const url = databaseUrl(serverUrl, name);
  if (migrations) await migrate({ connectionString: url, directory: migrationsDir(migrations) });
  let admin: pg.Pool | undefined;
  return {
    url,
    serverUrl,
    name,
    async sql<T extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      admin ??= new pg.Pool({ connectionString: url, max: 2 });
      return (await admin.query<T>(text, values)).rows;
    },
    async drop() {
      await admin?.end();
      await dropDatabase(serverUrl, name);
    },
  };
}

/**
 * The URL with its sessions in a time zone far from UTC (Pacific/Chatham, +13:45 or +12:45): a service's pool
 * on it shows, in every test, that hours and days come out in UTC whatever the session's time zone.
 */
export function inFarTimeZone(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', '-c TimeZone=Pacific/Chatham');
  return url.toString();
}

/** `t_<label>_<random>`, within PostgreSQL's 63 characters. */
export function testDatabaseName(label: string): string {
  const suffix = randomBytes(4).toString('hex');
  const cleanLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 63 - 't__'.length - suffix.length);
  return `t_${cleanLabel}_${suffix}`;
}

function testServerUrl(): string {
  // Running vitest inside a package skips the root config and its global setup.
  const url = inject(SERVER_URL_KEY) ?? process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error('no test database server: run vitest from the repository root, or set TEST_DATABASE_URL');
  }
  return url;
}

// pg's Pool.end() resolves before its sockets have closed. A FORCE drop at that moment terminates those closing
// sessions, and the server's "terminating connection" (57P01) reaches a client that no longer listens for
// errors: an uncaught exception that fails the run. So the drop first gives such sessions a moment to leave;
// FORCE is for the ones that would not (a pool a failed test never ended).
const LEAVE_WAIT_MS = 1_000;

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const client = await connectClient(serverUrl);
  try {
    const deadline = Date.now() + LEAVE_WAIT_MS;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ sessions: number }>(
        'SELECT count(*)::int AS sessions FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      if (rows[0]?.sessions === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
