// The wolf over HTTP (app.inject, real PostgreSQL): POST /internal/passes runs a pass and says what it removed,
// /metrics counts it, the probes follow the database, and a listening wolf runs its first pass by itself and
// stops with the app.
import { createPool } from '@backend-rebase/db';
import { captureLogger } from '@backend-rebase/logger/testing';
import { findFreePort } from '@backend-rebase/net';
import type { Service } from '@backend-rebase/service-kit';
import pg from 'pg';
import { eventually } from '@backend-rebase/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { PASS_LOCK_KEY } from '../src/retention/pass-lock.js';
import { bucketsAround, createBucketDatabase, sorted, type BucketDatabase } from './support/buckets.js';

const NOW = Date.parse('2025-03-10T12:34:56.789Z');
const CUTOFF = '2025-03-10T07:00:00.000Z'; // RETENTION_HOURS 5
const CONFIG: Config = loadConfig({
  env: { RETENTION_HOURS: '5', WOLF_BATCH_SIZE: '7' },
  dotenvPath: '/nonexistent/.env',
});
const OLD = bucketsAround(CUTOFF, ['/home', '/blog'], [-1, -2, -3, -4, -5, -24, -48, -96, -200]); // 18
const KEPT = bucketsAround(CUTOFF, ['/home', '/blog', '/new'], [0, 1, 5]);

let db: BucketDatabase;
let pool: pg.Pool;
let app: Service;
beforeAll(async () => {
  db = await createBucketDatabase('app');
  pool = createPool({ connectionString: db.database.url, max: 2 });
  app = await buildApp(CONFIG, { logger: captureLogger('the-wolf').logger, pool, now: () => NOW });
});
afterAll(async () => {
  await app.close();
  await pool.end();
  await db.close();
});

async function metric(service: Service, name: string): Promise<number | undefined> {
  const text = (await service.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('POST /internal/passes', () => {
  it('runs a pass and answers with what it removed; the metrics count it', async () => {
    await db.reset([...OLD, ...KEPT]);
    expect(await metric(app, 'wolf_rows_deleted_total')).toBe(0);
    expect(await metric(app, 'wolf_last_pass_timestamp_seconds')).toBe(0);

    const response = await app.inject({ method: 'POST', url: '/internal/passes' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'finished',
      deleted: 18,
      batches: 3,
      cutoff: CUTOFF,
      seconds: expect.any(Number) as unknown,
    });
    expect(await db.buckets()).toEqual(sorted(KEPT));
    expect(await metric(app, 'wolf_rows_deleted_total')).toBe(18);
    expect(await metric(app, 'wolf_pass_seconds_count')).toBe(1);
    expect(await metric(app, 'wolf_pass_failures_total')).toBe(0);
    const lastPass = (await metric(app, 'wolf_last_pass_timestamp_seconds')) ?? 0;
    expect(Math.abs(lastPass - Date.now() / 1000)).toBeLessThan(60);

    // Nothing left to remove: a pass of one empty batch, and the counter stays.
    const again = await app.inject({ method: 'POST', url: '/internal/passes' });
    expect(again.json()).toMatchObject({ deleted: 0, batches: 1 });
    expect(await metric(app, 'wolf_rows_deleted_total')).toBe(18);
    expect(await metric(app, 'wolf_pass_seconds_count')).toBe(2);
  });

  it('is 409 while another wolf holds the pass lock', async () => {
    await db.reset([...OLD, ...KEPT]);
    const other = new pg.Client({ connectionString: db.database.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [PASS_LOCK_KEY]);
      const response = await app.inject({ method: 'POST', url: '/internal/passes' });
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: 409,
        detail: expect.stringContaining('Another wolf') as unknown,
      });
      expect(await db.buckets()).toHaveLength(OLD.length + KEPT.length);
    } finally {
      await other.end();
    }
  });

  it('serves loopback clients only while INTERNAL_TOKEN is unset', async () => {
    const response = await app.inject({ method: 'POST', url: '/internal/passes', remoteAddress: '10.0.0.7' });
    expect(response.statusCode).toBe(403);
  });
});

describe('the probes', () => {
  it('pass while the database answers', async () => {
    expect((await app.inject({ url: '/health' })).json()).toEqual({ status: 'pass' });
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'pass', checks: { database: { status: 'pass' } } });
  });
});

describe('without a database', () => {
  it('fails /ready, answers a pass with 503, counts the failure, and stays alive', async () => {
    const nowhere = createPool({
      connectionString: `postgres://postgres@127.0.0.1:${await findFreePort()}/x`,
    });
    const { logger, lines } = captureLogger('the-wolf');
    const down = await buildApp(CONFIG, { logger, pool: nowhere });
    try {
      const ready = await down.inject({ url: '/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'fail', checks: { database: { status: 'fail' } } });

      const response = await down.inject({ method: 'POST', url: '/internal/passes' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({
        status: 503,
        detail: expect.stringContaining('analytics database cannot be reached') as unknown,
      });
      expect(lines().filter((line) => line.message === 'retention pass failed')).toHaveLength(1);
      expect(await metric(down, 'wolf_pass_failures_total')).toBe(1);
      expect((await down.inject({ url: '/health' })).statusCode).toBe(200);
    } finally {
      await down.close();
      await nowhere.end();
    }
  });
});

describe('closing the app', () => {
  it('stops a pass in progress between two batches, which answers with what it removed', async () => {
    // One row per statement: thousands of statements, so the pass is still running when the app closes.
    const many = bucketsAround(
      CUTOFF,
      ['/a', '/b', '/c', '/d', '/e'],
      Array.from({ length: 1000 }, (_, i) => -1 - i),
    );
    await db.reset([...many, ...KEPT]);
    const closing = await buildApp(
      { ...CONFIG, WOLF_BATCH_SIZE: 1 },
      { logger: captureLogger('the-wolf').logger, pool, now: () => NOW },
    );
    const pending = closing.inject({ method: 'POST', url: '/internal/passes' });
    const remaining = async () =>
      (await db.sql<{ n: number }>('SELECT count(*)::int AS n FROM page_views_hourly'))[0]?.n ?? 0;
    await eventually('a batch has committed', remaining, (rows) => rows < many.length + KEPT.length);

    await closing.close();
    const response = await pending;

    expect(response.statusCode).toBe(200);
    const body = response.json<{ status: string; deleted: number; batches: number }>();
    expect(body.status).toBe('stopped');
    expect(body.deleted).toBeGreaterThan(0);
    expect(body.deleted).toBeLessThan(many.length);
    expect(body.batches).toBe(body.deleted);
    expect(await remaining()).toBe(many.length + KEPT.length - body.deleted);
  });
});

describe('with an interval', () => {
  it('runs the first pass right after it listens, and closing stops the schedule', async () => {
    await db.reset([...OLD, ...KEPT]);
    const { logger, lines } = captureLogger('the-wolf');
    const scheduled = await buildApp(
      { ...CONFIG, WOLF_INTERVAL_SECONDS: 3600 },
      { logger, pool, now: () => NOW },
    );
    try {
      await scheduled.listen({ port: 0, host: '127.0.0.1' });
      await eventually('a pass has finished', lines, (all) =>
        all.some((line) => line.message === 'retention pass finished'),
      );
      expect(await db.buckets()).toEqual(sorted(KEPT));
      expect(await metric(scheduled, 'wolf_rows_deleted_total')).toBe(18);
    } finally {
      await scheduled.close(); // resolves only once the schedule has ended: it would hang on the hour-long wait
    }
  });
});
