// Brings a database up to date with a directory of Flyway migrations, the way `flyway migrate` would: checks
// the history first and changes nothing if anything is off, then applies each pending migration in its own
// transaction together with its history row, so a failing migration leaves neither a trace nor a half-built
// schema (PostgreSQL rolls DDL back too). Concurrent runs on one database apply each migration exactly once.
import pg from 'pg';
import { connectClient, ignoreErrorEvent } from './client.js';
import { createHistoryTable, HISTORY_TABLE, readHistory, recordMigration } from './history.js';
import { silentLogger, type Logger } from './logger.js';
import { readMigrationFiles, type MigrationFile } from './migration-files.js';
import { withMigrationLock } from './migration-lock.js';
import { planMigrations } from './plan.js';

export type MigrateOptions = (
  { connectionString: string; pool?: never } | { pool: pg.Pool; connectionString?: never }
) & {
  directory: string;
  logger?: Logger;
  /** Recorded in installed_by; the database user when omitted, as with Flyway. */
  installedBy?: string;
};

interface AppliedMigration {
  version: string;
  description: string;
  script: string;
}

export interface MigrateResult {
  applied: AppliedMigration[];
  /** The newest applied version after the run, null when the database has none. */
  current: string | null;
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const logger = options.logger ?? silentLogger;
  const files = await readMigrationFiles(options.directory, logger);
  const connection = await openConnection(options);
  try {
    const result = await migrateOn(connection.client, files, options.installedBy, logger);
    await connection.close();
    return result;
  } catch (error) {
    await connection.close(error as Error);
    throw error;
  }
}

async function migrateOn(
  client: pg.ClientBase,
  files: MigrationFile[],
  installedBy: string | undefined,
  logger: Logger,
): Promise<MigrateResult> {
  const table = await historyTableName(client);
  return withMigrationLock(client, table, logger, async () => {
    await createHistoryTable(client, table);
    const plan = planMigrations(files, await readHistory(client, table));
    for (const warning of plan.warnings) logger.warn(warning);

    const applied: AppliedMigration[] = [];
    for (const migration of plan.pending) {
      const executionTimeMs = await applyMigration(client, table, migration, installedBy);
      logger.info(`applied ${migration.script}`, { version: migration.version, executionTimeMs });
      applied.push({
        version: migration.version,
        description: migration.description,
        script: migration.script,
      });
    }
    const current = applied.at(-1)?.version ?? plan.current;
    logger.info(current === null ? 'database has no migrations' : `database is at version ${current}`, {
      applied: applied.length,
    });
    return { applied, current };
  });
}

async function applyMigration(
  client: pg.ClientBase,
  table: string,
  migration: MigrationFile,
  installedBy: string | undefined,
): Promise<number> {
  await client.query('BEGIN');
  try {
    const started = performance.now();
    await client.query(migration.sql);
    const executionTimeMs = Math.round(performance.now() - started);
    await recordMigration(client, table, migration, executionTimeMs, installedBy);
    await client.query('COMMIT');
    return executionTimeMs;
  } catch (error) {
    // If the rollback fails too, the connection is gone and the transaction with it.
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(
      `Migration ${migration.script} failed${lineOf(migration.sql, error)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

// PostgreSQL reports where in the script an error is, as a 1-based character position.
function lineOf(sql: string, error: unknown): string {
  const position = Number((error as { position?: string }).position);
  if (!Number.isInteger(position) || position < 1) return '';
  return ` at line ${sql.slice(0, position - 1).split('\n').length}`;
}

// Where Flyway would put the history: the current schema, the first existing one on the search path.
async function historyTableName(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('cannot migrate: the search_path names no existing schema');
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(HISTORY_TABLE)}`;
}

interface Connection {
  client: pg.ClientBase;
  /** After an error the connection is discarded: never back in a pool with an open transaction or lock. */
  close(error?: Error): Promise<void>;
}

async function openConnection(options: MigrateOptions): Promise<Connection> {
  if (options.pool) {
    const client = await options.pool.connect();
    // The pool listens for errors only on idle clients, and this one is busy until the run ends.
    client.on('error', ignoreErrorEvent);
    return {
      client,
      close: (error) => {
        client.off('error', ignoreErrorEvent);
        client.release(error ?? false);
        return Promise.resolve();
      },
    };
  }
  const client = await connectClient(options.connectionString);
  return { client, close: () => client.end() };
}
