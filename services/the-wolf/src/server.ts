// The wolf's entry: `pnpm --filter the-wolf start`, or started by `pnpm start` with DATABASE_URL naming the
// stack's PostgreSQL server. Reads the configuration, brings the analytics database up to date, then either
// serves (probes, /metrics) with a pass every WOLF_INTERVAL_SECONDS until SIGTERM/SIGINT, or, with `--once`,
// runs one pass and exits without listening.
import { poolTimeouts, redactPassword } from '@backend-rebase/db';
import { openAnalyticsDatabase } from '@backend-rebase/page-views';
import { closeLogger, createLogger } from '@backend-rebase/logger';
import { exitOnConfigError, runService, startupStep } from '@backend-rebase/service-kit';
import { buildApp } from './app.js';
import { parseArgumentsOrExit } from './arguments.js';
import { loadConfig } from './config.js';
import { runOnce } from './once.js';

const { once } = parseArgumentsOrExit(process.argv.slice(2));
// Before the logger: loading the configuration also loads .env, where LOGZIO_TOKEN may be.
const config = exitOnConfigError(loadConfig);
const logger = createLogger({ service: 'the-wolf' });

const { url, pool } = await startupStep(
  logger,
  'cannot open the analytics database',
  openAnalyticsDatabase(config, logger, {
    max: config.DB_POOL_SIZE,
    applicationName: 'the-wolf',
    ...poolTimeouts(config),
  }),
);

if (once) {
  const code = await runOnce(config, { logger, pool });
  await pool.end();
  await closeLogger(logger, 2_000);
  process.exit(code);
}

const app = await buildApp(config, { logger, pool });
await runService({
  app,
  config,
  logger,
  onShutdown: [() => pool.end()],
  settings: { database: redactPassword(url) },
});
