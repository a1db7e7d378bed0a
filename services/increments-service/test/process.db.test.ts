// What the process guarantees when it dies or is stopped: an acknowledged view is committed before its answer
// leaves, so it survives kill -9; SIGTERM answers and flushes every view it has taken in, then exits 0, also
// when a flush is held up in the database (the shutdown budget outlasts the longest flush, and a budget that
// would not is refused at start-up). A database that cannot be reached gets 503, with nothing applied.
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Pool } from 'undici';
import type { TestDatabase } from '@backend-rebase/db/testing';
import { findFreePort } from '@backend-rebase/net';
import { createAnalyticsDatabase, postJson, startTestService } from './support/test-service.js';
import { startServiceProcess } from '@backend-rebase/service-kit/testing';

let database: TestDatabase;
beforeAll(async () => {
  database = await createAnalyticsDatabase('process');
});
// A test that fails half-way must not leave its process running.
const spawned: Array<{ child: { kill: (signal: NodeJS.Signals) => boolean } }> = [];
afterEach(() => {
  for (const { child } of spawned.splice(0)) child.kill('SIGKILL');
});
afterAll(() => database?.drop());

/** Views of the pages matching a LIKE pattern. */
async function viewsOf(page: string): Promise<number> {
  const [row] = await database.sql<{ views: string | null }>(
    'SELECT sum(views) AS views FROM page_views_hourly WHERE page LIKE $1',
    [page],
  );
  return Number(row?.views ?? 0);
}

describe('the increments process', () => {
  it('keeps every acknowledged view when killed with SIGKILL right after answering', async () => {
    const service = await spawnService({ ANALYTICS_DATABASE_URL: database.url });
    const client = new Pool(service.url, { connections: 64 });
    let acknowledged = 0;
    let killed = false;
    const sent = 2000;
    // Requests keep coming in while the process is killed, so some flushes are in flight at that moment.
    const requests = Array.from({ length: sent }, () =>
      postJson(client, '/page-views/single', { page: 'survivor', timestamp: '2025-01-01T10:00:00Z' }).then(
        (answer) => {
          if (answer.status === 200 && !killed) {
            acknowledged += 1;
            if (acknowledged === 300) {
              killed = true;
              service.child.kill('SIGKILL');
            }
          }
        },
        () => undefined,
      ),
    );
    await Promise.all(requests);
    expect(await service.exited).toBeNull();
    await client.destroy();

    expect(acknowledged).toBeGreaterThanOrEqual(300);
    const counted = await viewsOf('survivor');
    // Every acknowledged view is there; views committed whose answers never left may be there too.
    expect(counted).toBeGreaterThanOrEqual(acknowledged);
    expect(counted).toBeLessThanOrEqual(sent);
  });

  it('on SIGTERM answers and flushes every pending view, then exits 0', async () => {
    // A long interval and no idle flush: the views are still pending in memory when the signal arrives.
    const service = await spawnService({
      ANALYTICS_DATABASE_URL: database.url,
      FLUSH_INTERVAL_MS: '5000',
      FLUSH_WHEN_IDLE: 'false',
    });
    const client = new Pool(service.url, { connections: 50 });
    // One page each, so the pending keys say when all 50 have arrived and wait in memory.
    const answers = Array.from({ length: 50 }, (_, i) =>
      postJson(client, '/page-views/single', { page: `stopping-${i}`, timestamp: '2025-01-01T10:00:00Z' }),
    );
    for (;;) {
      const metrics = await fetch(`${service.url}/metrics`).then((response) => response.text());
      if (/^increments_pending_keys 50$/m.test(metrics)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await viewsOf('stopping-%')).toBe(0);
    service.child.kill('SIGTERM');
    const results = await Promise.all(answers);
    expect(results.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(await service.exited).toBe(0);
    await client.close();
    expect(await viewsOf('stopping-%')).toBe(50);
  });

  it('on SIGTERM waits for a flush the database holds up, answers it, and exits 0 with the views stored', async () => {
    await database.sql('INSERT INTO page_views_hourly (page, hour, views) VALUES ($1, $2, 1)', [
      'held-up',
      '2025-01-01T10:00:00Z',
    ]);
    // The test holds the row's lock, so the flush waits in the database until the test lets it go. The timeouts
    // are long enough that the flush outlasts the wait; the shutdown budget follows from them.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT views FROM page_views_hourly WHERE page = 'held-up' FOR UPDATE");
      const service = await spawnService({
        ANALYTICS_DATABASE_URL: database.url,
        FLUSH_TIMEOUT_MS: '20000',
        DB_LOCK_TIMEOUT_MS: '20000',
      });
      const client = new Pool(service.url, { connections: 5 });
      const answers = Array.from({ length: 5 }, () =>
        postJson(client, '/page-views/single', { page: 'held-up', timestamp: '2025-01-01T10:00:00Z' }),
      );
      await expect.poll(() => flushesWaitingForALock(), { timeout: 10_000 }).toBeGreaterThan(0);

      service.child.kill('SIGTERM');
      await expect.poll(() => service.logged('shutting down').length, { timeout: 10_000 }).toBe(1);
      let exited = false;
      void service.exited.then(() => (exited = true));
      // Shutting down, and still waiting for the flush rather than exiting in the middle of it.
      expect(await flushesWaitingForALock()).toBeGreaterThan(0);
      expect(exited).toBe(false);

      await holder.query('COMMIT');
      const results = await Promise.all(answers);
      expect(results.map((answer) => answer.status)).toEqual(Array(5).fill(200));
      expect(await service.exited).toBe(0);
      await client.close();
      expect(await viewsOf('held-up')).toBe(6);
    } finally {
      await holder.end();
    }
  });

  it('refuses a SHUTDOWN_TIMEOUT_MS shorter than the longest flush could take', async () => {
    const service = startServiceProcess({
      serviceDir: fileURLToPath(new URL('..', import.meta.url)),
      env: { ANALYTICS_DATABASE_URL: database.url, FLUSH_TIMEOUT_MS: '5000', SHUTDOWN_TIMEOUT_MS: '10000' },
    });
    spawned.push(service);
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/SHUTDOWN_TIMEOUT_MS \(10000\) must be at least 17000/);
  });

  it('answers 503 when the database cannot be reached, and applies nothing', async () => {
    const closedPort = await findFreePort();
    const service = await startTestService('outage', {
      poolUrl: () => `postgres://postgres@127.0.0.1:${closedPort}/analytics`,
    });
    try {
      const answer = await service.post('/page-views/single', {
        page: 'lost',
        timestamp: '2025-01-01T10:00:00Z',
      });
      expect(answer.status).toBe(503);
      expect(answer.body.outcome).toBe('not-counted');
      expect(answer.body.detail).toMatch(/not counted.*retrying is safe/);
      expect(await service.counts()).toEqual({});
      const ready = await fetch(`${service.url}/ready`);
      expect(ready.status).toBe(503);
    } finally {
      await service.close();
    }
  });
});

/** Backends of the service whose statement waits for a lock. */
async function flushesWaitingForALock(): Promise<number> {
  const [row] = await database.sql<{ waiting: number }>(
    `SELECT count(*)::int AS waiting FROM pg_stat_activity
     WHERE application_name = 'increments-service' AND wait_event_type = 'Lock'`,
  );
  return row?.waiting ?? 0;
}

/** src/server.ts as a real process on a port of its own, ready to serve. */
async function spawnService(env: Record<string, string>) {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startServiceProcess({
    serviceDir: fileURLToPath(new URL('..', import.meta.url)),
    env: { HOST: '127.0.0.1', PORT: String(port), ...env },
  });
  spawned.push(service);
  await service.ready(`${url}/ready`);
  return { ...service, url };
}
