// What the analytics service reads from the environment (and .env), validated once at start-up.
import { DatabaseTimeoutConfig } from '@backend-rebase/db';
import { AnalyticsDatabaseConfig } from '@backend-rebase/page-views';
import { Env, Type, type Static } from '@backend-rebase/service-kit';
import { DEFAULT_REFRESH_TIMEOUT_MS } from './reports/view-refresher.js';

export const DEFAULT_POOL_SIZE = 8;

export const Config = Type.Object({
  PORT: Env.port(3200),
  HOST: Env.host('127.0.0.1'),
  ...AnalyticsDatabaseConfig,
  DB_POOL_SIZE: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: DEFAULT_POOL_SIZE,
    description: 'a whole number of connections from 1 to 100',
  }),
  /** Seconds from the start of one refresh of page_views_daily to the start of the next. */
  MV_REFRESH_SECONDS: Env.integer(60, { minimum: 1, maximum: 86_400 }),
  /** The server cancels a refresh of page_views_daily that runs longer (it is rolled back; the next one retries). */
  MV_REFRESH_TIMEOUT_MS: Env.integer(DEFAULT_REFRESH_TIMEOUT_MS, { minimum: 100, maximum: 3_600_000 }),
  ...DatabaseTimeoutConfig,
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = Static<typeof Config>;
