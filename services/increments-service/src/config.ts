// What the increments service reads from the environment (and .env), validated once at start-up, and the
// shutdown budget that follows from it: a SIGTERM must never cut a flush short (see shutdownBudgetMs).
import { CLIENT_TIMEOUT_MARGIN_MS, DatabaseTimeoutConfig } from '@backend-rebase/db';
import { AnalyticsDatabaseConfig } from '@backend-rebase/page-views';
import {
  ConfigError,
  DEFAULT_PORTS,
  Env,
  loadConfig as loadSettings,
  Type,
  type LoadConfigOptions,
  type StaticDecode,
} from '@backend-rebase/service-kit';

export const Config = Type.Object({
  PORT: Env.port(DEFAULT_PORTS['increments-service']),
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
  /** The server cancels a flush's statement that runs longer (statement_timeout): nothing applied, 503. */
  FLUSH_TIMEOUT_MS: Env.integer(3_000, { minimum: 100, maximum: 600_000 }),
  /** The server fails a flush that waits longer for a row lock (lock_timeout): nothing applied, 503. */
  DB_LOCK_TIMEOUT_MS: DatabaseTimeoutConfig.DB_LOCK_TIMEOUT_MS,
  /** Opening a connection (or waiting for a free one) fails after this long: nothing applied, 503. */
  DB_CONNECT_TIMEOUT_MS: Env.integer(2_000, { minimum: 100, maximum: 600_000 }),
  /** How long SIGTERM may take before the process gives up and exits 1; unset: the shortest safe budget. */
  SHUTDOWN_TIMEOUT_MS: Type.Optional(
    Type.Integer({ minimum: 1, description: 'an integer of at least 1 (milliseconds)' }),
  ),
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = StaticDecode<typeof Config> & { SHUTDOWN_TIMEOUT_MS: number };

/** Time for what a shutdown does besides flushing: closing the listener, the pool, the log. */
const SHUTDOWN_OVERHEAD_MS = 1_000;

/**
 * The longest a shutdown can spend flushing. One flush takes at most DB_CONNECT_TIMEOUT_MS to get a connection
 * plus its client-side deadline (FLUSH_TIMEOUT_MS and the margin above it). The views still pending when the
 * signal comes may have to wait for a flush slot, behind flushes that have just started: two flushes, one after
 * the other.
 */
function shutdownBudgetMs(config: Pick<Config, 'DB_CONNECT_TIMEOUT_MS' | 'FLUSH_TIMEOUT_MS'>): number {
  const flush = config.DB_CONNECT_TIMEOUT_MS + config.FLUSH_TIMEOUT_MS + CLIENT_TIMEOUT_MARGIN_MS;
  return 2 * flush + SHUTDOWN_OVERHEAD_MS;
}

/** Reads the settings, and the rules between them: throws a ConfigError naming each one broken. */
export function loadConfig(options?: LoadConfigOptions): Config {
  const config = loadSettings(Config, options);
  const problems: string[] = [];
  if (config.DB_LOCK_TIMEOUT_MS > config.FLUSH_TIMEOUT_MS) {
    problems.push(
      `DB_LOCK_TIMEOUT_MS (${config.DB_LOCK_TIMEOUT_MS}) must not exceed FLUSH_TIMEOUT_MS (${config.FLUSH_TIMEOUT_MS}): ` +
        'the statement would be cancelled before the lock wait could time out',
    );
  }
  const budget = shutdownBudgetMs(config);
  if (config.SHUTDOWN_TIMEOUT_MS !== undefined && config.SHUTDOWN_TIMEOUT_MS < budget) {
    problems.push(
      `SHUTDOWN_TIMEOUT_MS (${config.SHUTDOWN_TIMEOUT_MS}) must be at least ${budget}: ` +
        `2 × (DB_CONNECT_TIMEOUT_MS ${config.DB_CONNECT_TIMEOUT_MS} + FLUSH_TIMEOUT_MS ${config.FLUSH_TIMEOUT_MS} ` +
        `+ ${CLIENT_TIMEOUT_MARGIN_MS}) + ${SHUTDOWN_OVERHEAD_MS}, so a SIGTERM never exits in the middle of a flush; ` +
        'leave it unset for exactly that',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, SHUTDOWN_TIMEOUT_MS: config.SHUTDOWN_TIMEOUT_MS ?? budget };
}

/** The pool the settings describe: a flush's statement runs under FLUSH_TIMEOUT_MS, the server's limit. */
export function poolOptions(config: Config) {
  return {
    max: config.DB_POOL_SIZE,
    statementTimeoutMs: config.FLUSH_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
  };
}
