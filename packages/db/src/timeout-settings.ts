// The two server-side time limits every pool sets (pool.ts), as configuration variables: one definition of
// their names, defaults and ranges for every database service, and one mapping onto the pool's options.
import { Type } from 'typebox';
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS } from './pool.js';

const MAXIMUM_MS = 600_000;

const milliseconds = (fallback: number, minimum: number) =>
  Type.Integer({
    minimum,
    maximum: MAXIMUM_MS,
    default: fallback,
    description: `an integer from ${minimum} to ${MAXIMUM_MS}`,
  });

/** The fields, for a service's TypeBox config object. */
export const DatabaseTimeoutConfig = {
  /** The server cancels a statement that runs longer (statement_timeout, 57014): the request gets 503. */
  DB_STATEMENT_TIMEOUT_MS: milliseconds(DEFAULT_STATEMENT_TIMEOUT_MS, 100),
  /** The server fails a statement that waits longer for a lock (lock_timeout, 55P03): 503 as well. */
  DB_LOCK_TIMEOUT_MS: milliseconds(DEFAULT_LOCK_TIMEOUT_MS, 1),
};

/** The pool options (and the settings a service logs at start-up) that the two fields stand for. */
export function poolTimeouts(config: { DB_STATEMENT_TIMEOUT_MS: number; DB_LOCK_TIMEOUT_MS: number }) {
  return { statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS, lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS };
}
