// @backend-rebase/db: what a service needs to reach PostgreSQL. Test helpers: '@backend-rebase/db/testing'.
export { BatchedLookups } from './batched-lookups.js';
export { databaseUrl, ensureDatabase, migrationsDir, redactPassword } from './database.js';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
export type { Logger } from './logger.js';
export { migrate } from './migrator.js';
export { migrateAll } from './migrate-all.js';
export { clientTimeoutMs, createPool, CLIENT_TIMEOUT_MARGIN_MS, type PoolOptions } from './pool.js';
export { queryRows } from './query.js';
export { DatabaseTimeoutConfig, poolTimeouts } from './timeout-settings.js';
export { openServiceDatabase } from './service-database.js';
export { describeUnavailable, isDatabaseUnavailable } from './unavailable.js';
