// A statement the server gives up on is a 503 whose detail says which limit ran out: statement_timeout (the
// statement ran too long) or lock_timeout (another session held a lock it needed too long), not "cannot be
// reached". Another session of the test holds page_views_hourly locked, so the report's read waits for it.
import { createPool } from '@backend-rebase/db';
import { inFarTimeZone } from '@backend-rebase/db/testing';
import { captureLogger } from '@backend-rebase/logger/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { startTestService, testConfig, type TestService } from './support/test-service.js';

let service: TestService;
let blocker: pg.Client;

beforeAll(async () => {
  service = await startTestService('timeouts');
  blocker = new pg.Client({ connectionString: service.database.url });
  await blocker.connect();
});
afterAll(async () => {
  await blocker.end();
  await service.close();
});

/** GET /report/home on an app whose pool has these server-side limits, with the hours table locked. */
async function reportWhileLocked(limits: { statementTimeoutMs: number; lockTimeoutMs: number }) {
  const pool = createPool({ connectionString: inFarTimeZone(service.database.url), max: 1, ...limits });
  const app = await buildApp(testConfig(), { logger: captureLogger().logger, pool });
  try {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE page_views_hourly IN ACCESS EXCLUSIVE MODE');
    const response = await app.inject({ url: '/report/home' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    return response.json<{ detail: string }>().detail;
  } finally {
    await blocker.query('ROLLBACK');
    await app.close();
    await pool.end();
  }
}

describe('a 503 from a server-side limit', () => {
  it('says the statement did not finish in time when statement_timeout ran out', async () => {
    expect(await reportWhileLocked({ statementTimeoutMs: 100, lockTimeoutMs: 60_000 })).toBe(
      'The analytics database did not finish in time (statement timeout); retry in a few seconds.',
    );
  });

  it('says another request held a lock too long when lock_timeout ran out', async () => {
    expect(await reportWhileLocked({ statementTimeoutMs: 60_000, lockTimeoutMs: 100 })).toBe(
      'The analytics database waited too long for a lock: another request held it longer than the lock timeout; retry in a few seconds.',
    );
  });
});
