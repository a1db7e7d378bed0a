// A pg.Pool that cannot take the process down and cannot hang it: an idle client whose connection breaks
// (server restart, network cut) is logged instead of becoming an uncaught 'error' event, and a database that
// does not answer makes `connect` fail after a few seconds instead of waiting forever.
import pg from 'pg';
import { silentLogger, type Logger } from './logger.js';

export interface PoolOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
  logger?: Logger;
  connectionTimeoutMillis?: number;
  /**
   * The server cancels a statement that runs longer, so its effects are rolled back for sure; a client-side
   * timeout could not know whether the statement had committed.
   */
  statementTimeoutMs?: number;
}

export function createPool(options: PoolOptions): pg.Pool {
  const logger = options.logger ?? silentLogger;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
    ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
  });
  // The pool discards the broken client by itself; without a listener Node would crash on the 'error' event.
  pool.on('error', (error) => {
    logger.error('idle database connection failed', { error: error.message });
  });
  return pool;
}

// A readiness check: resolves when the database runs a query within `timeoutMs`, rejects otherwise. The
// timer also covers waiting for a free connection, so a saturated pool reports "not ready" instead of
// hanging.
export async function pingDatabase(pool: pg.Pool, timeoutMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // query_timeout (honoured by pg, missing from its types) discards the connection of a query that never
    // answers, so pings against a hung server do not pile up holding connections.
    const ping: pg.QueryConfig & { query_timeout: number } = { text: 'SELECT 1', query_timeout: timeoutMs };
    await Promise.race([pool.query(ping), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
