// Flyway's schema history table, created exactly as Flyway creates it on PostgreSQL (same columns, types,
// primary key and index), so Flyway and this migrator can take turns on one database and each trusts the
// other's records. `table` is always the schema-qualified, quoted name: a migration that changes search_path
// cannot make us write the history somewhere else.
import type pg from 'pg';
import type { MigrationFile } from './migration-files.js';

export const HISTORY_TABLE = 'flyway_schema_history';

export interface HistoryRow {
  installedRank: number;
  /** null for rows without a version: Flyway's schema-creation marker and repeatable migrations. */
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  success: boolean;
}

export async function createHistoryTable(client: pg.ClientBase, table: string): Promise<void> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS ${table} (
      installed_rank INT NOT NULL,
      version VARCHAR(50),
      description VARCHAR(200) NOT NULL,
      type VARCHAR(20) NOT NULL,
      script VARCHAR(1000) NOT NULL,
      checksum INTEGER,
      installed_by VARCHAR(100) NOT NULL,
      installed_on TIMESTAMP NOT NULL DEFAULT now(),
      execution_time INTEGER NOT NULL,
      success BOOLEAN NOT NULL,
      CONSTRAINT ${HISTORY_TABLE}_pk PRIMARY KEY (installed_rank)
    );
    CREATE INDEX IF NOT EXISTS ${HISTORY_TABLE}_s_idx ON ${table} (success);
  `);
}

export async function readHistory(client: pg.ClientBase, table: string): Promise<HistoryRow[]> {
  const { rows } = await client.query<HistoryRow>(`
    SELECT installed_rank AS "installedRank", version, description, type, script, checksum, success
    FROM ${table}
    ORDER BY installed_rank
  `);
  return rows;
}

export async function recordMigration(
  client: pg.ClientBase,
  table: string,
  migration: MigrationFile,
  executionTimeMs: number,
  installedBy: string | undefined,
): Promise<void> {
  await client.query(
    `INSERT INTO ${table}
       (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
     SELECT COALESCE(MAX(installed_rank), 0) + 1, $1, $2, 'SQL', $3, $4, COALESCE($5, current_user), $6, true
     FROM ${table}`,
    [
      migration.version,
      migration.description,
      migration.script,
      migration.checksum,
      installedBy ?? null,
      executionTimeMs,
    ],
  );
}
