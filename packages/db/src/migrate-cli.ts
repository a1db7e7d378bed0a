// `migrate`: the one-shot command of the containers' `migrate` service (the Dockerfile's `migrate` target). Applies
// every migrations/<database> folder with the project's Flyway-compatible migrator (migrateAll, the code
// `pnpm start` runs), to DATABASE_URL (a server: the databases are created on it when missing) or to each
// database's own <NAME>_DATABASE_URL, then exits 0. Any failure exits 1 with the reason on stderr, so whatever
// waits for it (`depends_on: condition: service_completed_successfully`, a Kubernetes Job) never starts the
// services against a database that is not up to date. Log lines are JSON, like the services'.
import { fileURLToPath } from 'node:url';
import { redactPassword } from './database.js';
import type { Logger } from './logger.js';
import { migrateAll } from './migrate-all.js';

// Like migrationsDir(): the repository's migrations/ folder, which the image keeps at the same place.
const MIGRATIONS_ROOT = fileURLToPath(new URL('../../../migrations/', import.meta.url));

function line(level: string, message: string, fields?: Record<string, unknown>): void {
  const text = JSON.stringify({
    level,
    message,
    service: 'migrate',
    ...fields,
    timestamp: new Date().toISOString(),
  });
  (level === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
}

const logger: Logger = {
  info: (message, fields) => line('info', message, fields),
  warn: (message, fields) => line('warn', message, fields),
  error: (message, fields) => line('error', message, fields),
};

const serverUrl = process.env.DATABASE_URL || undefined;
try {
  if (serverUrl) logger.info('migrating', { server: redactPassword(serverUrl), migrations: MIGRATIONS_ROOT });
  const migrated = await migrateAll({
    migrationsRoot: MIGRATIONS_ROOT,
    serverUrl,
    logger,
    onMigrated: ({ name, variable }) =>
      logger.info(`database "${name}" is migrated`, variable ? { variable } : undefined),
  });
  if (migrated.length === 0) throw new Error(`no migrations found in ${MIGRATIONS_ROOT}`);
} catch (error) {
  logger.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
