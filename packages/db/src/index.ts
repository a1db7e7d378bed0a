// @backend-rebase/db: what a service needs to reach PostgreSQL. Test helpers: '@backend-rebase/db/testing'.
export { flywayChecksum } from './checksum.js';
export {
  assertDatabaseName,
  databaseUrl,
  ensureDatabase,
  migrationsDir,
  prepareDatabase,
  redactPassword,
  type PrepareDatabaseOptions,
} from './database.js';
export { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded.js';
export type { Logger } from './logger.js';
export { migrate, type AppliedMigration, type MigrateOptions, type MigrateResult } from './migrator.js';
export {
  clientTimeoutMs,
  createPool,
  CLIENT_TIMEOUT_MARGIN_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  pingDatabase,
  type PoolOptions,
} from './pool.js';
export { queryRows, type TimedQuery } from './query.js';
export { DatabaseTimeoutConfig, poolTimeouts } from './timeout-settings.js';
export {
  openServiceDatabase,
  prepareServiceDatabase,
  type OpenServiceDatabaseOptions,
  type ServiceDatabaseOptions,
} from './service-database.js';
export { describeUnavailable, isDatabaseUnavailable } from './unavailable.js';
