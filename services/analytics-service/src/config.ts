// What the analytics service reads from the environment (and .env), validated once at start-up.
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
  PORT: Env.port(DEFAULT_PORTS['analytics-service']),
  HOST: Env.host('127.0.0.1'),
  ...AnalyticsDatabaseConfig,
  DB_POOL_SIZE: Env.integer(8, { minimum: 1, maximum: 100 }),
  /** Seconds from the start of one refresh of page_views_daily to the start of the next. */
  MV_REFRESH_SECONDS: Env.integer(60, { minimum: 1, maximum: 86_400 }),
  /** The server cancels a refresh of page_views_daily that runs longer (it is rolled back; the next one retries). */
  MV_REFRESH_TIMEOUT_MS: Env.integer(10_000, { minimum: 100, maximum: 3_600_000 }),
  ...DatabaseTimeoutConfig,
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = StaticDecode<typeof Config>;

/** Reads the settings: throws a ConfigError naming each invalid variable. */
export function loadConfig(options?: LoadConfigOptions): Config {
  return loadSettings(Config, options);
}
