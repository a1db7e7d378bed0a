// What the increments service reads from the environment (and .env), validated once at start-up.
import { AnalyticsDatabaseConfig } from '@backend-rebase/page-views';
import { Env, Type, type Static } from '@backend-rebase/service-kit';

export const Config = Type.Object({
  PORT: Env.port(3201),
  HOST: Env.host('127.0.0.1'),
  ...AnalyticsDatabaseConfig,
  /** A flush starts once this many (page, hour) keys are pending… */
  FLUSH_MAX_KEYS: Env.integer(1000, { minimum: 1, maximum: 100_000 }),
  /** …or this long after the first pending view, whichever comes first. */
  FLUSH_INTERVAL_MS: Env.integer(20, { minimum: 0, maximum: 60_000 }),
  /** Also flush as soon as no flush is running (see group-commit.ts); false waits for the two triggers above. */
  FLUSH_WHEN_IDLE: Env.boolean(true),
  /** Pending keys beyond this are refused with 503 while the database cannot keep up. */
  MAX_PENDING_KEYS: Env.integer(200_000, { minimum: 1 }),
  /** Connections, and so flushes that may run at once. */
  DB_POOL_SIZE: Env.integer(4, { minimum: 1, maximum: 100 }),
  /** A flush running longer is cancelled by the server (nothing applied) and its requests get 503. */
  FLUSH_TIMEOUT_MS: Env.integer(10_000, { minimum: 100 }),
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = Static<typeof Config>;
