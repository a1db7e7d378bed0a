import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from '../src/client.js';
import { createPool } from '../src/pool.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { recordingLogger } from './support/recording-logger.js';
import { rows } from './support/sql.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('pool');
});
afterAll(() => database.drop());

describe('createPool', () => {
  it('answers a ping', async () => {
    const pool = createPool({ connectionString: database.url, applicationName: 'pool-test' });
    try {
      await pool.query('SELECT 1');
      const [row] = await rows<{ name: string }>(
        database.url,
        "SELECT application_name AS name FROM pg_stat_activity WHERE application_name = 'pool-test'",
      );
      expect(row?.name).toBe('pool-test');
    } finally {
      await pool.end();
    }
  });

  it('logs, and survives, an idle connection killed by the server', async () => {
    const logger = recordingLogger();
    const pool = createPool({ connectionString: database.url, applicationName: 'pool-victim', logger });
    try {
      await pool.query('SELECT 1');
      await rows(
        database.url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pool-victim'",
      );
      await expect
        .poll(() => logger.messages)
        .toContainEqual({ level: 'error', msg: 'idle database connection failed' });

      // The broken connection was discarded: the next ping gets a fresh one.
      await pool.query('SELECT 1');
    } finally {
      await pool.end();
    }
  });

  it('runs every connection with the statement and lock timeouts it was given', async () => {
    const pool = createPool({
      connectionString: database.url,
      statementTimeoutMs: 1_234,
      lockTimeoutMs: 567,
    });
    try {
      const { rows: settings } = await pool.query<{ statement: string; lock: string }>(
        "SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock",
      );
      expect(settings).toEqual([{ statement: '1234ms', lock: '567ms' }]);
    } finally {
      await pool.end();
    }
  });

  it('has the server cancel a statement that runs too long: 57014, nothing applied, nothing left running', async () => {
    await rows(database.url, 'CREATE TABLE slow_writes (id int)');
    const pool = createPool({
      connectionString: database.url,
      applicationName: 'pool-slow',
      statementTimeoutMs: 300,
    });
    try {
      // The row is written first; only a rollback by the server can take it away again.
      const slow = pool.query(
        'WITH written AS (INSERT INTO slow_writes VALUES (1) RETURNING id) SELECT pg_sleep(60) FROM written',
      );
      await expect(slow).rejects.toMatchObject({ code: '57014' });
      expect(await rows(database.url, 'SELECT id FROM slow_writes')).toEqual([]);
      const running = await rows(
        database.url,
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'pool-slow' AND state <> 'idle'",
      );
      expect(running).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('has the server give up on a lock held too long: 55P03, nothing applied', async () => {
    await rows(database.url, 'CREATE TABLE locked_rows (id int PRIMARY KEY, n int)');
    await rows(database.url, 'INSERT INTO locked_rows VALUES (1, 0)');
    const holder = await connectClient(database.url);
    const pool = createPool({
      connectionString: database.url,
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 200,
    });
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT n FROM locked_rows WHERE id = 1 FOR UPDATE');
      await expect(pool.query('UPDATE locked_rows SET n = n + 1 WHERE id = 1')).rejects.toMatchObject({
        code: '55P03',
      });
      await holder.query('COMMIT');
      expect(await rows(database.url, 'SELECT n FROM locked_rows')).toEqual([{ n: 0 }]);
    } finally {
      await holder.end();
      await pool.end();
    }
  });

  it('refuses a timeout PostgreSQL would read as "none"', () => {
    expect(() => createPool({ connectionString: database.url, statementTimeoutMs: 0 })).toThrow(
      /statementTimeoutMs must be a whole number of milliseconds, at least 1, got 0/,
    );
  });
});
