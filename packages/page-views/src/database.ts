// The database the three analytics services share (docs/analytics-project.md): `ANALYTICS_DATABASE_URL` names
// it, or else `DATABASE_URL` names a server on which the database `analytics` is created. One definition of
// those two variables and of opening the database, so the services cannot drift apart on either.
import { openServiceDatabase, type Logger, type PoolOptions } from '@backend-rebase/db';
import { Env, Type } from '@backend-rebase/service-kit';

/** The two configuration fields, for a service's TypeBox config object. */
export const AnalyticsDatabaseConfig = {
  /** A PostgreSQL server: the service uses (and creates) its database `analytics` there. */
  DATABASE_URL: Type.Optional(Env.url()),
  /** The analytics database itself; wins over DATABASE_URL. */
  ANALYTICS_DATABASE_URL: Type.Optional(Env.url()),
};

interface AnalyticsDatabaseSettings {
  DATABASE_URL?: string | undefined;
  ANALYTICS_DATABASE_URL?: string | undefined;
}

/** Creates the database when it may, migrates it with migrations/analytics, and opens a pool on it. */
export function openAnalyticsDatabase(
  settings: AnalyticsDatabaseSettings,
  logger: Logger,
  pool: Omit<PoolOptions, 'connectionString' | 'logger'>,
) {
  return openServiceDatabase({
    database: 'analytics',
    variable: 'ANALYTICS_DATABASE_URL',
    databaseUrl: settings.ANALYTICS_DATABASE_URL,
    serverUrl: settings.DATABASE_URL,
    logger,
    pool,
  });
}
