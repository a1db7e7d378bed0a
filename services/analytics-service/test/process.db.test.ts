// What the process does on SIGTERM while a refresh of the daily view is held up in the database: it cancels the
// refresh on the server, which rolls it back, and exits 0 within the kit's shutdown budget, however long
// MV_REFRESH_TIMEOUT_MS would let the refresh run.
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@backend-rebase/db/testing';
import { findFreePort } from '@backend-rebase/net';
import { startServiceProcess, type ServiceProcess } from '@backend-rebase/service-kit/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('analytics process', { migrations: 'analytics' });
});
// A test that fails half-way must not leave its process running.
const spawned: ServiceProcess[] = [];
afterEach(() => {
  for (const { child } of spawned.splice(0)) child.kill('SIGKILL');
});
afterAll(() => database?.drop());

/** Backends of the service running a REFRESH: `waiting` for a lock, or at all. */
async function refreshes(): Promise<{ running: number; waiting: number }> {
  const [row] = await database.sql<{ running: number; waiting: number }>(
    `SELECT count(*)::int AS running, (count(*) FILTER (WHERE wait_event_type = 'Lock'))::int AS waiting
     FROM pg_stat_activity
     WHERE application_name = 'analytics-service' AND state = 'active'
       AND query LIKE 'REFRESH MATERIALIZED VIEW CONCURRENTLY%'`,
  );
  return row ?? { running: 0, waiting: 0 };
}

const stamps = () => database.sql('SELECT refreshed_at FROM page_views_daily_refresh');

describe('the analytics process', () => {
  // Longer than this test may take: a process that waited for the refresh, or for its time limit, would run
  // past the kit's 10 s budget and exit 1.
  const REFRESH_TIMEOUT_MS = 60_000;

  it(
    'on SIGTERM cancels a refresh the database holds up, rolls it back and exits 0',
    async () => {
      const port = await findFreePort();
      const url = `http://127.0.0.1:${port}`;
      const service = startServiceProcess({
        serviceDir: fileURLToPath(new URL('..', import.meta.url)),
        env: {
          HOST: '127.0.0.1',
          PORT: String(port),
          ANALYTICS_DATABASE_URL: database.url,
          MV_REFRESH_TIMEOUT_MS: String(REFRESH_TIMEOUT_MS),
          MV_REFRESH_SECONDS: '3600',
          // The refresh waits for the test's lock: only the refresh's limit may end that wait, not the pool's.
          DB_LOCK_TIMEOUT_MS: String(REFRESH_TIMEOUT_MS),
        },
      });
      spawned.push(service);
      await service.ready(`${url}/ready`);
      // The refresh at start-up is done: the next one is the test's.
      await expect.poll(async () => (await stamps()).length, { timeout: 10_000 }).toBe(1);
      const before = await stamps();

      // The refresh reads page_views_hourly, which this session locks until the end of the test.
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE page_views_hourly IN ACCESS EXCLUSIVE MODE');
        const refreshing = fetch(`${url}/internal/refresh`, { method: 'POST' });
        await expect.poll(async () => (await refreshes()).waiting, { timeout: 10_000 }).toBe(1);

        service.child.kill('SIGTERM');
        expect(await service.exited).toBe(0);
        expect((await refreshing).status).toBe(503);
        expect(await refreshes()).toEqual({ running: 0, waiting: 0 });
        expect(await stamps()).toEqual(before);
        expect(
          service.logged(
            'refresh of page_views_daily cancelled for shutdown; rolled back, the next start refreshes',
          ),
        ).toHaveLength(1);
        expect(service.logged('shutdown did not finish within 10000 ms; exiting')).toEqual([]);
      } finally {
        await holder.end();
      }
    },
    REFRESH_TIMEOUT_MS / 2,
  );
});
