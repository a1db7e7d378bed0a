// The analytics service's entry: `pnpm --filter analytics-service start`, or started by `pnpm start` with
// DATABASE_URL naming the stack's PostgreSQL server. Reads the configuration, brings the database up to date,
// then serves (refreshing the daily view at once and every MV_REFRESH_SECONDS) until SIGTERM/SIGINT, when it
// cancels a refresh under way (the server rolls it back; the next refresh redoes it), finishes in-flight
// requests and closes the pool, well within the kit's shutdown budget whatever MV_REFRESH_TIMEOUT_MS is.
import { poolTimeouts, redactPassword } from '@backend-rebase/db';
import { openAnalyticsDatabase } from '@backend-rebase/page-views';
import { createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService, startupStep } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

// Before the logger: loading the configuration also loads .env, where LOGZIO_TOKEN may be.
const config = exitOnConfigError(loadConfig);
const logger = createLogger({ service: 'analytics-service' });

const { url, pool } = await startupStep(
  logger,
  'cannot open the analytics database',
  openAnalyticsDatabase(config, logger, {
    max: config.DB_POOL_SIZE,
    applicationName: 'analytics-service',
    ...poolTimeouts(config),
  }),
);
const app = await buildApp(config, { logger, pool });
await runService({
  app,
  config,
  logger,
  onShutdown: [() => pool.end()],
  settings: { database: redactPassword(url) },
});
