// What the wolf reads from the environment (and .env), validated once at start-up.
import { DatabaseTimeoutConfig } from '@backend-rebase/db';
import { AnalyticsDatabaseConfig } from '@backend-rebase/page-views';
import {
  DEFAULT_PORTS,
  Env,
  loadConfig as loadSettings,
  Type,
  type LoadConfigOptions,
  type StaticDecode,
} from '@backend-rebase/service-kit';

export const Config = Type.Object({
  PORT: Env.port(DEFAULT_PORTS['the-wolf']),
  HOST: Env.host('127.0.0.1'),
  ...AnalyticsDatabaseConfig,
  /** Buckets whose hour starts more than this many hours before the current hour are deleted. The bound keeps
   * the cutoff a valid date (a million hours is over a century). */
  RETENTION_HOURS: Env.integer(720, { minimum: 1, maximum: 1_000_000 }),
  /** Rows per DELETE statement: what one statement locks and writes to the WAL at a time. */
  WOLF_BATCH_SIZE: Env.integer(5000, { minimum: 1, maximum: 100_000 }),
  /** Pause after a pass before the next one. A week at most: Node's timers cannot wait much longer (24.8 days)
   * and would fire at once instead. */
  WOLF_INTERVAL_SECONDS: Env.integer(300, { minimum: 1, maximum: 604_800 }),
  /** A pass holds one connection from start to end; the second one keeps /ready answering meanwhile. */
  DB_POOL_SIZE: Env.integer(2, { minimum: 2, maximum: 100 }),
  ...DatabaseTimeoutConfig,
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = StaticDecode<typeof Config>;

/** Reads the settings: throws a ConfigError naming each invalid variable. */
export function loadConfig(options?: LoadConfigOptions): Config {
  return loadSettings(Config, options);
}
