// Which failures mean "the database cannot be reached right now" rather than a bug: those answer 503 (retry
// later) instead of 500. The pool opens a new connection for the next query, so once the database is back the
// same process serves again; nothing has to be restarted.
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
