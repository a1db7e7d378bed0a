// The user service's entry: `pnpm --filter user-service start`, or started by `pnpm start` with DATABASE_URL
// naming the stack's PostgreSQL server. Reads the configuration, brings the database up to date, then serves
// until SIGTERM/SIGINT, when it finishes in-flight requests and closes the pool.
import { createPool, redactPassword } from '@backend-rebase/db';
import { closeLogger, createLogger } from '@backend-rebase/logger';
import { loadConfigOrExit, runService } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { Config } from './config.js';
import { prepareUsersDatabase, usersDatabaseUrl } from './database.js';

// Before the logger: loading the configuration also loads .env, where LOGZIO_TOKEN may be.
const config = loadConfigOrExit(Config);
const logger = createLogger({ service: 'user-service' });

const wanted = usersDatabaseUrl(config);
if (wanted === null) {
  process.stderr.write(
    'Invalid configuration:\n  DATABASE_URL (a PostgreSQL server) or USERS_DATABASE_URL (the users database) ' +
      'is required, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres; ' +
      '`pnpm start` sets it for you, with an embedded PostgreSQL\n',
  );
  process.exit(1);
}

let url: string;
try {
  url = await prepareUsersDatabase(config, logger);
} catch (error) {
  logger.error(`cannot prepare the database ${redactPassword(wanted)}: ${(error as Error).message}`, {
    err: error,
  });
  await closeLogger(logger);
  process.exit(1);
}

const pool = createPool({
  connectionString: url,
  max: config.DB_POOL_SIZE,
  applicationName: 'user-service',
  logger,
});
const app = await buildApp({ internalToken: config.INTERNAL_TOKEN }, { logger, pool });
const address = await runService({
  app,
  port: config.PORT,
  host: config.HOST,
  logger,
  onShutdown: [() => pool.end()],
});
logger.info(`user-service listening on ${address}`, {
  database: redactPassword(url),
  poolSize: config.DB_POOL_SIZE,
});
