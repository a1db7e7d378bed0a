// A service's database on a PostgreSQL server: created when missing (safely, however many services start at
// once) in UTF-8, checked to be UTF-8, then migrated. What a service calls at start-up is `prepareDatabase`.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectClient } from './client.js';
import { assertUtf8Database } from './encoding.js';
import { silentLogger, type Logger } from './logger.js';
import { migrate } from './migrator.js';

// Stricter than PostgreSQL: names that never need quoting in psql, and that are safe as a directory name.
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) {
    throw new Error(
      `invalid database name "${name}": use at most 63 lower-case letters, digits and underscores, ` +
        'not starting with a digit',
    );
  }
}

/** The server URL with its database replaced: credentials, host, port and query parameters are kept. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** Creates the database unless it exists; true when this call created it. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<boolean> {
  assertDatabaseName(name);
  const client = await connectClient(serverUrl);
  try {
    // Looking first means a user without the CREATEDB privilege can start against an existing database.
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return false;
    // template0, because template1 may be in another encoding (a server initialised under LC_ALL=C is
    // SQL_ASCII) and only template0 may be copied into a different one. The locale is the server's default.
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} ENCODING 'UTF8' TEMPLATE template0`);
    return true;
  } catch (error) {
    if (createdConcurrently(error)) return false;
    throw error;
  } finally {
    await client.end();
  }
}

// Another process created the same database between our look and our CREATE: either PostgreSQL notices
// (duplicate_database), or both inserts reach the catalog and the loser hits its unique index.
function createdConcurrently(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '42P04' || code === '23505';
}

/** `<repository>/migrations/<database>`, wherever the repository is checked out. */
export function migrationsDir(database: string): string {
  assertDatabaseName(database);
  return fileURLToPath(new URL(`../../../migrations/${database}`, import.meta.url));
}

export interface PrepareDatabaseOptions {
  serverUrl: string;
  database: string;
  /** Defaults to `migrationsDir(database)`. */
  migrationsDir?: string;
  logger?: Logger;
}

/** Creates the database when missing, checks that it is UTF-8, and applies its migrations; returns its URL. */
export async function prepareDatabase(options: PrepareDatabaseOptions): Promise<string> {
  const logger = options.logger ?? silentLogger;
  if (await ensureDatabase(options.serverUrl, options.database)) {
    logger.info(`created database ${options.database}`);
  }
  const url = databaseUrl(options.serverUrl, options.database);
  const directory = options.migrationsDir ?? migrationsDir(options.database);
  try {
    await assertUtf8Database(url);
    await migrate({ connectionString: url, directory, logger });
  } catch (error) {
    // Services migrate several databases whose scripts share names (V1__init.sql): say which one failed.
    throw new Error(`database ${options.database}: ${(error as Error).message}`, { cause: error });
  }
  return url;
}

/** The URL with its password masked, for messages and logs; text that is not a URL is returned as it is. */
export function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
