// The increments service's entry: `pnpm --filter increments-service start`, or started by `pnpm start` with
// DATABASE_URL naming the stack's PostgreSQL server. Brings the analytics database up to date, then serves
// until SIGTERM/SIGINT: stops accepting, answers in-flight requests once their flush commits, flushes whatever
// is still pending, closes the pool, exits 0 — within SHUTDOWN_TIMEOUT_MS, which is never shorter than the
// longest flush can take (config.ts), so the process does not exit in the middle of one.
import { redactPassword } from '@backend-rebase/db';
import { openAnalyticsDatabase } from '@backend-rebase/page-views';
import { createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService, startupStep } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { loadConfig, poolOptions } from './config.js';

// Before the logger: loading the configuration also loads .env, where LOGZIO_TOKEN may be.
const config = exitOnConfigError(loadConfig);
const logger = createLogger({ service: 'increments-service' });

const { url, pool } = await startupStep(
  logger,
  'cannot open the analytics database',
  openAnalyticsDatabase(config, logger, { ...poolOptions(config), applicationName: 'increments-service' }),
);
const app = await buildApp(config, { logger, pool });
await runService({
  app,
  config,
  logger,
  onShutdown: [() => pool.end()],
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  settings: { database: redactPassword(url) },
});
