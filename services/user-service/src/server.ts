// The user service's entry: `pnpm --filter user-service start`, or started by `pnpm start` with DATABASE_URL
// naming the stack's PostgreSQL server. Reads the configuration, brings the database up to date, then serves
// until SIGTERM/SIGINT, when it finishes in-flight requests and closes the pool.
import { openServiceDatabase, poolTimeouts, redactPassword } from '@backend-rebase/db';
import { createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService, startupStep } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

// Before the logger: loading the configuration also loads .env, where LOGZIO_TOKEN may be.
const config = exitOnConfigError(loadConfig);
const logger = createLogger({ service: 'user-service' });

const { url, pool } = await startupStep(
  logger,
  'cannot open the users database',
  openServiceDatabase({
    database: 'users',
    variable: 'USERS_DATABASE_URL',
    databaseUrl: config.USERS_DATABASE_URL,
    serverUrl: config.DATABASE_URL,
    logger,
    pool: { max: config.DB_POOL_SIZE, applicationName: 'user-service', ...poolTimeouts(config) },
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
