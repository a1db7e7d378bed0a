// The refresh of page_views_daily: readers are never blocked by it, two refreshes never run at once (in one
// process or across instances), a refresh asked for while one is running gets one of its own, the timer
// refreshes once the app listens and then periodically, a refresh has a time limit of its own, enforced by the
// server, and stopping (closing the app) cancels the refresh in flight on the server instead of waiting for it.
import { createPool } from '@backend-rebase/db';
import { inFarTimeZone } from '@backend-rebase/db/testing';
import { captureLogger } from '@backend-rebase/logger/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import {
  REFRESH_LOCK_KEY,
  RefreshCancelled,
  ViewRefresher,
  type RefreshObserver,
} from '../src/reports/view-refresher.js';
import { addViews, refresh, startTestService, testConfig, type TestService } from './support/test-service.js';

let service: TestService;
let blocker: pg.Client; // a session of the test's own, to hold locks the way another client would

beforeAll(async () => {
  // A read that waited on the refresh would fail after 1 s with a 503 instead of passing late.
  service = await startTestService('refresher', { statementTimeoutMs: 1_000 });
  blocker = new pg.Client({ connectionString: service.database.url });
  await blocker.connect();
  await addViews(service, [['home', '2025-03-01T10:00:00Z', 3]]);
});
afterEach(async () => {
  await blocker.query('ROLLBACK'); // ends any transaction a test left open (a warning when there is none)
  await blocker.query('SELECT pg_advisory_unlock_all()');
});
afterAll(async () => {
  await blocker.end();
  await service.close();
});

function counting(): RefreshObserver & { counts: Record<string, number> } {
  const counts = { refreshed: 0, skipped: 0, failed: 0 };
  return {
    counts,
    refreshed: () => void counts.refreshed++,
    skipped: () => void counts.skipped++,
    failed: () => void counts.failed++,
  };
}

function refresherOf(observer?: RefreshObserver, options: { pool?: pg.Pool; timeoutMs?: number } = {}) {
  const { pool = service.pool, timeoutMs = testConfig().MV_REFRESH_TIMEOUT_MS } = options;
  return new ViewRefresher(pool, { logger: captureLogger().logger, observer, timeoutMs });
}

/** Resolves once a REFRESH of the view is waiting for a lock, holding the view's own (readers still read). */
async function refreshIsWaiting(): Promise<void> {
  await vi.waitFor(
    async () => {
      const [row] = await service.sql<{ waiting: number; holds_view: boolean }>(`
        SELECT count(*)::int AS waiting,
          bool_or(EXISTS (
            SELECT FROM pg_locks l
            WHERE l.pid = a.pid AND l.relation = 'page_views_daily'::regclass
              AND l.mode = 'ExclusiveLock' AND l.granted)) AS holds_view
        FROM pg_stat_activity a
        WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'
          AND a.query LIKE 'REFRESH MATERIALIZED VIEW CONCURRENTLY%'`);
      expect(row).toEqual({ waiting: 1, holds_view: true });
    },
    { timeout: 3_000, interval: 10 },
  );
}

/** Backends running a REFRESH of the view right now (not the ones that ran one last and sit idle). */
async function refreshesRunning(applicationName?: string): Promise<number> {
  const [row] = await service.sql<{ running: number }>(
    `SELECT count(*)::int AS running FROM pg_stat_activity
     WHERE datname = current_database() AND state = 'active'
       AND query LIKE 'REFRESH MATERIALIZED VIEW CONCURRENTLY%'
       AND ($1::text IS NULL OR application_name = $1)`,
    [applicationName ?? null],
  );
  return row?.running ?? 0;
}

/** Makes the next refresh stop midway: it reads page_views_hourly, which this session locks. */
async function holdRefreshMidway(): Promise<void> {
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE page_views_hourly IN ACCESS EXCLUSIVE MODE');
}

describe('a refresh under way', () => {
  it('does not block reading the reports', async () => {
    await holdRefreshMidway();
    const refreshing = service.app.inject({ method: 'POST', url: '/internal/refresh' });
    await refreshIsWaiting();

    const top = await service.app.inject({ url: '/reports/top?day=2025-03-01' });
    const daily = await service.app.inject({ url: '/reports/daily/home?from=2025-03-01&to=2025-03-01' });
    expect(top.statusCode).toBe(200);
    expect(daily.statusCode).toBe(200);

    await blocker.query('ROLLBACK');
    expect((await refreshing).statusCode).toBe(200);
    expect((await service.app.inject({ url: '/reports/top?day=2025-03-01' })).json()).toMatchObject({
      data: [{ page: 'home', views: 3 }],
    });
  });

  it('makes another instance skip its refresh instead of running a second one', async () => {
    await holdRefreshMidway();
    const first = counting();
    const running = refresherOf(first).refresh();
    await refreshIsWaiting();

    const second = counting();
    expect(await refresherOf(second).refresh()).toEqual({ refreshed: false });
    expect(second.counts).toEqual({ refreshed: 0, skipped: 1, failed: 0 });

    await blocker.query('ROLLBACK');
    expect(await running).toMatchObject({ refreshed: true });
    expect(first.counts).toEqual({ refreshed: 1, skipped: 0, failed: 0 });
    // With the lock free again, the second instance refreshes.
    expect(await refresherOf(second).refresh()).toMatchObject({ refreshed: true });
  });

  it('makes POST /internal/refresh answer 409 while another instance holds the lock, counted as skipped', async () => {
    await blocker.query('SELECT pg_advisory_lock($1)', [REFRESH_LOCK_KEY]);
    const response = await service.app.inject({ method: 'POST', url: '/internal/refresh' });
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json<{ detail: string }>().detail).toContain('Another instance is refreshing');

    const metrics = (await service.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^analytics_view_refreshes_total\{outcome="skipped"\} 1$/m);
    expect(metrics).toMatch(/^analytics_view_refreshes_total\{outcome="refreshed"\} [1-9]/m);
    expect(metrics).toMatch(/^analytics_view_refresh_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^analytics_view_last_refresh_timestamp_seconds \d{10}/m);
  });

  it('is followed by one more refresh for everyone who asked meanwhile, which sees their data', async () => {
    await holdRefreshMidway();
    const observer = counting();
    const refresher = refresherOf(observer);
    const first = refresher.refresh();
    await refreshIsWaiting();
    const second = refresher.refresh();
    const third = refresher.refresh();
    expect(third).toBe(second);

    await blocker.query('ROLLBACK');
    await addViews(service, [['queued', '2025-03-01T11:00:00Z', 9]]);
    const [one, two] = await Promise.all([first, second]);
    expect(observer.counts.refreshed).toBe(2);
    expect(one.refreshed && two.refreshed && two.refreshedAt > one.refreshedAt).toBe(true);
    const top = await service.app.inject({ url: '/reports/top?day=2025-03-01' });
    expect(top.json()).toMatchObject({ data: [{ page: 'queued', views: 9 }, { page: 'home' }] });
  });

  it('is cancelled by stop(), which starts none of those asked for meanwhile', async () => {
    // Neither the refresh's limit nor the pool's lock_timeout can end the wait within the test's time.
    const pool = createPool({
      connectionString: inFarTimeZone(service.database.url),
      max: 2,
      lockTimeoutMs: 60_000,
    });
    try {
      await holdRefreshMidway();
      const observer = counting();
      const refresher = refresherOf(observer, { pool, timeoutMs: 60_000 });
      const running = refresher.refresh();
      await refreshIsWaiting();
      const queued = refresher.refresh();

      await refresher.stop(); // with the lock still held: only the cancel lets it resolve
      await expect(running).rejects.toBeInstanceOf(RefreshCancelled);
      await expect(queued).rejects.toBeInstanceOf(RefreshCancelled);
      expect(await refreshesRunning()).toBe(0);
      expect(observer.counts).toEqual({ refreshed: 0, skipped: 0, failed: 0 });
      await expect(refresher.refresh()).rejects.toBeInstanceOf(RefreshCancelled);
    } finally {
      await pool.end();
    }
  });

  it('is cancelled on the server when the signal it was asked with aborts (the periodic job closing)', async () => {
    const pool = createPool({
      connectionString: inFarTimeZone(service.database.url),
      max: 2,
      lockTimeoutMs: 60_000,
    });
    try {
      await holdRefreshMidway();
      const refresher = refresherOf(undefined, { pool, timeoutMs: 60_000 });
      const closing = new AbortController();
      const running = refresher.refresh({ signal: closing.signal });
      await refreshIsWaiting();

      closing.abort(); // with the lock still held: only the cancel lets it settle
      await expect(running).rejects.toBeInstanceOf(RefreshCancelled);
      expect(await refreshesRunning()).toBe(0);
      await expect(refresher.refresh()).rejects.toBeInstanceOf(RefreshCancelled);
    } finally {
      await pool.end();
    }
  });
});

describe("a refresh's time limit", () => {
  it('has the server cancel a refresh that runs longer (57014), with nothing stamped', async () => {
    await service.sql('TRUNCATE page_views_daily_refresh');
    await holdRefreshMidway();
    const observer = counting();
    // The pool's statement and lock timeouts (1 s, 2 s) are longer: this is the refresh's own limit.
    await expect(refresherOf(observer, { timeoutMs: 300 }).refresh()).rejects.toMatchObject({
      code: '57014',
    });
    await blocker.query('ROLLBACK');
    expect(observer.counts).toEqual({ refreshed: 0, skipped: 0, failed: 1 });
    expect(await service.sql('SELECT refreshed_at FROM page_views_daily_refresh')).toEqual([]);
    // The lock went with the session: the next refresh runs.
    expect(await refresherOf(observer).refresh()).toMatchObject({ refreshed: true });
  });

  it("may run longer than the pool's statement_timeout, which it leaves in place", async () => {
    const pool = createPool({
      connectionString: inFarTimeZone(service.database.url),
      max: 1,
      statementTimeoutMs: 200,
      lockTimeoutMs: 10_000,
    });
    try {
      await holdRefreshMidway();
      const refreshing = refresherOf(undefined, { pool, timeoutMs: 10_000 }).refresh();
      await refreshIsWaiting();
      // Held for longer than the pool's 200 ms: only the refresh's own limit lets it go on. (This wait can only
      // make the test fail, never pass by luck.)
      await new Promise((resolve) => setTimeout(resolve, 400));
      await blocker.query('ROLLBACK');
      expect(await refreshing).toMatchObject({ refreshed: true });

      const { rows } = await pool.query<{ limit: string }>(
        "SELECT current_setting('statement_timeout') AS limit",
      );
      expect(rows).toEqual([{ limit: '200ms' }]);
    } finally {
      await pool.end();
    }
  });
});

describe('the refresh timer', () => {
  it('refreshes as soon as the app listens, then every interval; closing the app stops it', async () => {
    await service.sql('TRUNCATE page_views_daily_refresh');
    // Every 50 ms: below what MV_REFRESH_SECONDS accepts, so set past the schema.
    const app = await buildApp(testConfig({ MV_REFRESH_SECONDS: 0.05 }), {
      logger: captureLogger().logger,
      pool: service.pool,
    });
    const refreshes = async () => {
      const metrics = (await app.inject({ url: '/metrics' })).body;
      return Number(/^analytics_view_refreshes_total\{outcome="refreshed"\} (\d+)/m.exec(metrics)?.[1]);
    };
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      await vi.waitFor(
        async () =>
          expect(await service.sql('SELECT refreshed_at FROM page_views_daily_refresh')).toHaveLength(1),
        { timeout: 2_000, interval: 10 },
      );
      await vi.waitFor(async () => expect(await refreshes()).toBeGreaterThanOrEqual(3), {
        timeout: 3_000,
        interval: 20,
      });
    } finally {
      await app.close();
    }
  });
});

describe('refreshedAt', () => {
  it('is when the refresh started: at most the time it answered, and never earlier than it was asked', async () => {
    const asked = Date.now();
    const stamp = Date.parse(await refresh(service));
    expect(stamp).toBeGreaterThanOrEqual(asked - 1_000); // the database's clock, rounded to the millisecond
    expect(stamp).toBeLessThanOrEqual(Date.now());
  });
});

describe('closing the app', () => {
  // 60 s: far longer than this test may take, so only a cancel can end the refresh in time.
  const REFRESH_TIMEOUT_MS = 60_000;

  it(
    'cancels the refresh under way on the server: rolled back, nothing stamped, the request in flight gets 503',
    async () => {
      const [before] = await service.sql('SELECT refreshed_at FROM page_views_daily_refresh');
      const pool = createPool({
        connectionString: inFarTimeZone(service.database.url),
        max: 2,
        applicationName: 'analytics-closing',
        // The refresh waits for the test's lock: only the refresh's limit may end that wait, not the pool's.
        lockTimeoutMs: REFRESH_TIMEOUT_MS,
      });
      const { logger, lines } = captureLogger('analytics-service');
      const app = await buildApp(testConfig({ MV_REFRESH_TIMEOUT_MS: REFRESH_TIMEOUT_MS }), { logger, pool });
      try {
        await holdRefreshMidway();
        const refreshing = app.inject({ method: 'POST', url: '/internal/refresh' });
        await refreshIsWaiting();

        await app.close(); // the table is still locked: the refresh cannot have finished by itself
        expect(await refreshesRunning('analytics-closing')).toBe(0);
        const answer = await refreshing;
        expect(answer.statusCode).toBe(503);
        expect(answer.json<{ detail: string }>().detail).toContain('shutting down');
        const [after] = await service.sql('SELECT refreshed_at FROM page_views_daily_refresh');
        expect(after).toEqual(before);
        expect(lines().map((line) => [line.level, line.message])).toContainEqual([
          'info',
          'refresh of page_views_daily cancelled for shutdown; rolled back, the next start refreshes',
        ]);
        // Not a refresh failure: the only error line is the kit's record of the request's 503.
        expect(
          lines()
            .filter((line) => line.level === 'error')
            .map((line) => line.message),
        ).toEqual(['request failed']);
      } finally {
        await app.close();
        await pool.end();
      }
    },
    REFRESH_TIMEOUT_MS / 2,
  );
});
