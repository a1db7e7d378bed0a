// Which failures mean "the database cannot serve this right now" rather than a bug: those answer 503 (retry
// later) instead of 500. The pool opens a new connection for the next query, so once the database is back the
// same process serves again; nothing has to be restarted. describeUnavailable says which of them happened, for
// the 503's detail: a database that cannot be reached, a statement past its statement_timeout, or a lock held
// by another session past the lock_timeout call for the same retry but tell an operator different things.
//
// pg reports these failures in three ways: Node's socket error codes, PostgreSQL's SQLSTATE codes, and a few
// errors of its own that carry only a message.

const SOCKET_CODES = new Set([
  'ECONNREFUSED', // nothing listens: the server is stopped
  'ECONNRESET', // the connection was cut
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND', // the host name does not resolve (yet)
  'EAI_AGAIN',
]);

const SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping, or an administrator ended our connection
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or recovering
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: the database is gone
  '57014', // query_canceled: our statement_timeout ran out (see pool.ts); the statement was rolled back
  '55P03', // lock_not_available: our lock_timeout ran out waiting for another session's lock
]);
const CONNECTION_EXCEPTION = /^08[0-9A-Z]{3}$/; // SQLSTATE class 08

const PG_MESSAGES = [
  /^Connection terminated/, // the server closed the connection, or connecting timed out
  /^timeout exceeded when trying to connect$/, // the pool's connectionTimeoutMillis
  /^Query read timeout$/, // our query_timeout: the server stopped answering
  /is not queryable$/, // a client whose connection already failed
];

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Node tries every address of a host name (IPv6 and IPv4 for localhost) and reports all the failures at once.
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SQLSTATES.has(code) || CONNECTION_EXCEPTION.test(code)) return true;
  }
  return PG_MESSAGES.some((pattern) => pattern.test(error.message));
}

const QUERY_CANCELED = '57014';
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * What went wrong, as the start of a 503's detail: `database` ("The user database") and what happened to it,
 * e.g. "The user database did not finish in time (statement timeout)". The caller adds what to do (retry).
 */
export function describeUnavailable(error: unknown, database: string): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === LOCK_NOT_AVAILABLE) {
    return `${database} waited too long for a lock: another request held it longer than the lock timeout`;
  }
  if (code === QUERY_CANCELED) {
    // The same SQLSTATE covers a cancel from another session (an operator, a shutdown); only the message differs.
    return typeof message === 'string' && /statement timeout/.test(message)
      ? `${database} did not finish in time (statement timeout)`
      : `${database} cancelled the statement`;
  }
  return `${database} cannot be reached right now`;
}
