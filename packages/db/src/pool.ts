// A pg.Pool that cannot take the process down, cannot hang it, and never leaves the server working for nobody:
// - an idle client whose connection breaks (server restart, network cut) is logged instead of becoming an
//   uncaught 'error' event;
// - a database that does not answer makes `connect` fail after a few seconds instead of waiting forever;
// - every connection starts with `statement_timeout` and `lock_timeout` set on the server, so a statement that
//   runs too long, or waits too long for a lock, is cancelled by the server itself (SQLSTATE 57014 or 55P03)
//   and its transaction rolled back. A timeout on the client alone would stop waiting while the statement ran
//   on, and might still commit after the caller had been told it failed.
// - the client's own timeout (pg's query_timeout) is a margin above the server's, so when the server is
//   healthy it is always the server that gives up first, and the client only gives up on a server that stopped
//   answering altogether.
import pg from 'pg';
import { silentLogger, type Logger } from './logger.js';

export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 2_000;
/** How much longer the client waits than the server lets a statement run: the cancel's round trip and more. */
export const CLIENT_TIMEOUT_MARGIN_MS = 1_000;

export interface PoolOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
  logger?: Logger;
  connectionTimeoutMillis?: number;
  /** The server cancels a statement that runs longer (57014). Default DEFAULT_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs?: number;
  /** The server fails a statement that waits longer for a lock (55P03). Default DEFAULT_LOCK_TIMEOUT_MS. */
  lockTimeoutMs?: number;
}

/** The client-side timeout that goes with a server-side one: a margin above it. */
export function clientTimeoutMs(serverTimeoutMs: number): number {
  return serverTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS;
}

export function createPool(options: PoolOptions): pg.Pool {
  const logger = options.logger ?? silentLogger;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  for (const [name, value] of [
    ['statementTimeoutMs', statementTimeoutMs],
    ['lockTimeoutMs', lockTimeoutMs],
  ] as const) {
    // 0 would mean "no timeout" to PostgreSQL, and pg leaves 0 out of the start-up packet altogether.
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a whole number of milliseconds, at least 1, got ${value}`);
    }
  }
  // query_timeout is honoured by pg (for every query of the pool's clients) but missing from its types.
  const config: pg.PoolConfig & { query_timeout: number } = {
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
    // Sent in the start-up packet: in force from the connection's first statement, whatever runs on it.
    statement_timeout: statementTimeoutMs,
    lock_timeout: lockTimeoutMs,
    query_timeout: clientTimeoutMs(statementTimeoutMs),
  };
  const pool = new pg.Pool(config);
  // The pool discards the broken client by itself; without a listener Node would crash on the 'error' event.
  pool.on('error', (error) => {
    logger.error('idle database connection failed', { err: error });
  });
  return pool;
}
