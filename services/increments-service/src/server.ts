// The increments service's entry: `pnpm --filter increments-service start`, or started by `pnpm start` with
// DATABASE_URL naming the stack's PostgreSQL server. Brings the analytics database up to date, then serves
// until SIGTERM/SIGINT: stops accepting, answers in-flight requests once their flush commits, flushes whatever
// is still pending, closes the pool, exits 0.
import { redactPassword } from '@backend-rebase/db';
import { openAnalyticsDatabase } from '@backend-rebase/page-views';
import { createLogger } from '@backend-rebase/logger';
import { loadConfigOrExit, runService, startupStep } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { Config } from './config.js';

// Before the logger: loading the configuration also loads .env, where LOGZIO_TOKEN may be.
const config = loadConfigOrExit(Config);
const logger = createLogger({ service: 'increments-service' });

const { url, pool } = await startupStep(
  logger,
  'cannot open the analytics database',
  openAnalyticsDatabase(config, logger, {
    max: config.DB_POOL_SIZE,
    applicationName: 'increments-service',
    statementTimeoutMs: config.FLUSH_TIMEOUT_MS,
  }),
);
const app = await buildApp(
  {
    internalToken: config.INTERNAL_TOKEN,
    flushMaxKeys: config.FLUSH_MAX_KEYS,
    flushIntervalMs: config.FLUSH_INTERVAL_MS,
    flushWhenIdle: config.FLUSH_WHEN_IDLE,
    maxPendingKeys: config.MAX_PENDING_KEYS,
    maxConcurrentFlushes: config.DB_POOL_SIZE,
  },
  { logger, pool },
);
await runService({
  app,
  port: config.PORT,
  host: config.HOST,
  logger,
  onShutdown: [() => pool.end()],
  settings: {
    database: redactPassword(url),
    flushMaxKeys: config.FLUSH_MAX_KEYS,
    flushIntervalMs: config.FLUSH_INTERVAL_MS,
    flushWhenIdle: config.FLUSH_WHEN_IDLE,
  },
});
