import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, pingDatabase } from '../src/pool.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { rows } from './helpers/sql.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('pool');
});
afterAll(() => database.drop());

describe('createPool', () => {
  it('answers a ping', async () => {
    const pool = createPool({ connectionString: database.url, applicationName: 'pool-test' });
    try {
      await pingDatabase(pool);
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
      await pingDatabase(pool);
      await rows(
        database.url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pool-victim'",
      );
      await expect
        .poll(() => logger.messages)
        .toContainEqual({ level: 'error', msg: 'idle database connection failed' });

      // The broken connection was discarded: the next ping gets a fresh one.
      await pingDatabase(pool);
    } finally {
      await pool.end();
    }
  });
});
