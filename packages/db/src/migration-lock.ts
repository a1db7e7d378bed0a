// Only one migrator at a time per database: a session-level advisory lock, held on the connection that runs
// the migrations from the first read of the history to the last write. A second migrator waits, then finds
// nothing left to do. The lock number is the one Flyway uses for the same history table, so a real Flyway
// run and this migrator exclude each other too.
import type pg from 'pg';
import type { Logger } from './logger.js';

// "Flyway" in ASCII, plus Java's String.hashCode of the quoted table name: see Flyway's
// PostgreSQLAdvisoryLockTemplate. The sum stays below 2^53, so a JavaScript number holds it exactly.
const FLYWAY_LOCK_BASE = 0x466c79776179;

function flywayLockKey(quotedTable: string): string {
  let hash = 0;
  for (let i = 0; i < quotedTable.length; i++) {
    hash = (Math.imul(31, hash) + quotedTable.charCodeAt(i)) | 0;
  }
  return String(FLYWAY_LOCK_BASE + hash);
}

export async function withMigrationLock<T>(
  client: pg.ClientBase,
  quotedTable: string,
  logger: Logger,
  work: () => Promise<T>,
): Promise<T> {
  const key = flywayLockKey(quotedTable);
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
    key,
  ]);
  if (!rows[0]?.locked) {
    logger.info('another migration is running on this database; waiting for it to finish');
    await client.query('SELECT pg_advisory_lock($1)', [key]);
  }
  const unlock = () => client.query('SELECT pg_advisory_unlock($1)', [key]);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    // The error that stopped the work is the one to report. If unlocking fails too, the connection is broken,
    // and the lock ends with its session.
    await unlock().catch(() => undefined);
    throw error;
  }
  await unlock();
  return result;
}
