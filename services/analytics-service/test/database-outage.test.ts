// The database out of reach: every report and the refresh trigger answer 503 problem+json the client can
// retry, /ready fails, the refresh timer keeps the service up and counts the failures. The pool points at a
// port where nothing listens, so no PostgreSQL is needed.
import { createPool } from '@backend-rebase/db';
import { captureLogger } from '@backend-rebase/logger/testing';
import { findFreePort } from '@backend-rebase/net';
import type { Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { testConfig } from './support/test-service.js';

let app: Service;
let pool: pg.Pool;
let lines: () => Record<string, unknown>[];

beforeAll(async () => {
  pool = createPool({ connectionString: `postgres://postgres@127.0.0.1:${await findFreePort()}/analytics` });
  const captured = captureLogger('analytics-service');
  lines = captured.lines;
  // A refresh every 20 ms: below what MV_REFRESH_SECONDS accepts, so set past the schema.
  app = await buildApp(testConfig({ MV_REFRESH_SECONDS: 0.02 }), { logger: captured.logger, pool });
  await app.listen({ port: 0, host: '127.0.0.1' }); // the refresh job starts when the app listens
});
afterAll(async () => {
  await app.close();
  await pool.end();
});

describe('when the database cannot be reached', () => {
  it.each([
    ['GET', '/report/home'],
    ['GET', '/reports/top'],
    ['GET', '/reports/daily/home'],
    ['POST', '/internal/refresh'],
  ] as const)('%s %s answers 503 problem+json', async (method, url) => {
    const response = await app.inject({ method, url });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      status: 503,
      detail: expect.stringContaining('analytics database cannot be reached') as unknown,
    });
  });

  it('fails /ready, and the refresh timer goes on, counting and logging each failure', async () => {
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'fail', checks: { database: { status: 'fail' } } });
    await vi.waitFor(
      async () => {
        const metrics = (await app.inject({ url: '/metrics' })).body;
        expect(
          Number(/^analytics_view_refreshes_total\{outcome="failed"\} (\d+)/m.exec(metrics)?.[1]),
        ).toBeGreaterThan(2);
      },
      { timeout: 3_000, interval: 20 },
    );
    expect(
      lines().some((line) => String(line.message).startsWith('refreshing page_views_daily failed')),
    ).toBe(true);
  });
});
