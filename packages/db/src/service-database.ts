// A service's own database, found from its configuration at start-up and brought up to date with
// migrations/<database> before the service accepts a request. The variable that names the database itself
// (USERS_DATABASE_URL, ANALYTICS_DATABASE_URL) is used as it is; otherwise DATABASE_URL names a server, on which
// the database is created when missing. Several services may share one database and start at once: creating
// and migrating are both safe to race.
import { migrationsDir, prepareDatabase } from './database.js';
import { assertUtf8Database } from './encoding.js';
import { silentLogger, type Logger } from './logger.js';
import { migrate } from './migrator.js';
import { createPool, type PoolOptions } from './pool.js';
import type pg from 'pg';

export interface ServiceDatabaseOptions {
  /** The database's name, and the folder of its migrations: `users`, `analytics`. */
  database: string;
  /** The variable that names the database itself, for messages: `USERS_DATABASE_URL`. */
  variable: string;
  /** That variable's value. */
  databaseUrl?: string | undefined;
  /** DATABASE_URL: a PostgreSQL server. */
  serverUrl?: string | undefined;
  logger?: Logger;
}

/**
 * Creates the database when it may (only on a server URL), refuses one that is not UTF-8, and applies its
 * migrations; returns its URL.
 */
export async function prepareServiceDatabase(options: ServiceDatabaseOptions): Promise<string> {
  const logger = options.logger ?? silentLogger;
  if (options.databaseUrl) {
    await assertUtf8Database(options.databaseUrl);
    await migrate({
      connectionString: options.databaseUrl,
      directory: migrationsDir(options.database),
      logger,
    });
    return options.databaseUrl;
  }
  if (!options.serverUrl) {
    throw new Error(
      `DATABASE_URL (a PostgreSQL server) or ${options.variable} (the ${options.database} database) is required, ` +
        'e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres; `pnpm start` sets it for you, ' +
        'with an embedded PostgreSQL',
    );
  }
  return prepareDatabase({ serverUrl: options.serverUrl, database: options.database, logger });
}

export interface OpenServiceDatabaseOptions extends ServiceDatabaseOptions {
  pool: Omit<PoolOptions, 'connectionString' | 'logger'>;
}

/** prepareServiceDatabase, then a pool on the database: what a service's entry file needs before it serves. */
export async function openServiceDatabase(
  options: OpenServiceDatabaseOptions,
): Promise<{ url: string; pool: pg.Pool }> {
  const url = await prepareServiceDatabase(options);
  return { url, pool: createPool({ ...options.pool, connectionString: url, logger: options.logger }) };
}
