// A retention pass against real PostgreSQL, without HTTP: exactly the buckets before the cutoff go, in batches
// of the configured size, and every way a pass can end (finished, stopped, skipped, failed) leaves the table and
// the pass lock in order.
import { isDatabaseUnavailable } from '@backend-rebase/db';
import { captureLogger } from '@backend-rebase/logger/testing';
import { findFreePort } from '@backend-rebase/net';
import pg from 'pg';
import { eventually } from '@backend-rebase/service-kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PASS_LOCK_KEY } from '../src/retention/pass-lock.js';
import { Wolf, type PassObserver, type WolfOptions } from '../src/retention/wolf.js';
import {
  bucketsAround,
  createBucketDatabase,
  hoursAfter,
  sorted,
  type BucketDatabase,
} from './support/buckets.js';

// Mid-hour, so the cutoff is the start of the hour minus the retention: 2025-03-10T07:00:00.000Z.
const NOW = Date.parse('2025-03-10T12:34:56.789Z');
const RETENTION_HOURS = 5;
const CUTOFF = '2025-03-10T07:00:00.000Z';
const BATCH = 7;

let db: BucketDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createBucketDatabase('retention');
  pool = new pg.Pool({ connectionString: db.database.url, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await db.close();
});

/** Whether some session of this database holds the pass lock. */
async function lockHeld(): Promise<boolean> {
  const [row] = await db.sql<{ held: boolean }>(
    `SELECT count(*) > 0 AS held FROM pg_locks
     WHERE locktype = 'advisory' AND objid::bigint = $1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [PASS_LOCK_KEY],
  );
  return row?.held === true;
}

function wolf(options: Partial<WolfOptions> = {}) {
  const { logger, lines } = captureLogger('the-wolf');
  const wolf = new Wolf({
    pool,
    logger,
    retentionHours: RETENTION_HOURS,
    batchSize: BATCH,
    now: () => NOW,
    ...options,
  });
  return { wolf, lines: (message: string) => lines().filter((line) => line.message === message) };
}

// 30 buckets before the cutoff (the hour just before it among them) over three pages and one page that has only
// old buckets; 13 at the cutoff hour or after it, up to the current hour.
const OLD = [
  ...bucketsAround(CUTOFF, ['/home', '/pricing', '/blog'], [-1, -2, -3, -5, -8, -13, -21, -34, -55]),
  ...bucketsAround(CUTOFF, ['/gone'], [-1, -100, -1000]),
];
const KEPT = [
  ...bucketsAround(CUTOFF, ['/home', '/pricing', '/blog'], [0, 1, 5]),
  ...bucketsAround(CUTOFF, ['/home', '/new'], [2, 3]),
];

describe('a retention pass', () => {
  it('deletes exactly the buckets before the cutoff, in floor(n / batch) + 1 statements, and logs it', async () => {
    expect(OLD).toHaveLength(30);
    expect(KEPT.map((bucket) => bucket.hour)).toContain(CUTOFF);
    await db.reset([...OLD, ...KEPT]);
    const { wolf: w, lines } = wolf();

    const outcome = await w.pass();

    expect(outcome).toMatchObject({ status: 'finished', deleted: 30, batches: 5, cutoff: new Date(CUTOFF) });
    expect(await db.buckets()).toEqual(sorted(KEPT));
    expect(lines('retention pass finished')).toEqual([
      expect.objectContaining({
        level: 'info',
        deleted: 30,
        batches: 5,
        cutoff: CUTOFF,
        retentionHours: RETENTION_HOURS,
        batchSize: BATCH,
        seconds: expect.any(Number) as unknown,
      }),
    ]);
  });

  it('ends with an empty batch when the old rows are an exact multiple of the batch size', async () => {
    const old = bucketsAround(CUTOFF, ['/a', '/b', '/c', '/d'], [-1, -2, -3, -4, -5, -6, -7]);
    await db.reset([...old, ...KEPT]);
    const outcome = await wolf().wolf.pass();
    expect(outcome).toMatchObject({ status: 'finished', deleted: 28, batches: 5 });
    expect(await db.buckets()).toEqual(sorted(KEPT));
  });

  it('with many rows in one hour, still deletes them all in full batches', async () => {
    // 40 pages in the same old hour: the batches split the hour, and each starts again at that hour.
    const pages = Array.from({ length: 40 }, (_, i) => `/p${String(i).padStart(2, '0')}`);
    await db.reset([...bucketsAround(CUTOFF, pages, [-2, -1]), ...KEPT]);
    expect(await wolf().wolf.pass()).toMatchObject({ status: 'finished', deleted: 80, batches: 12 });
    expect(await db.buckets()).toEqual(sorted(KEPT));
  });

  it('on an empty table, is one statement that deletes nothing', async () => {
    await db.reset([]);
    const { wolf: w, lines } = wolf();
    expect(await w.pass()).toMatchObject({ status: 'finished', deleted: 0, batches: 1 });
    expect(lines('retention pass finished')).toEqual([expect.objectContaining({ deleted: 0, batches: 1 })]);
  });

  it('tells its observer about every committed batch and the finished pass', async () => {
    await db.reset([...OLD, ...KEPT]);
    const batches: number[] = [];
    const observer: PassObserver = {
      batchDeleted: (rows) => batches.push(rows),
      passFinished: (report) => expect(report).toMatchObject({ deleted: 30, batches: 5 }),
      passFailed: () => expect.fail('the pass did not fail'),
    };
    await wolf({ observer }).wolf.pass();
    expect(batches).toEqual([7, 7, 7, 7, 2]);
  });
});

describe('a pass that cannot run to its end', () => {
  afterEach(async () => {
    await db.sql('DROP TRIGGER IF EXISTS refuse_poison ON page_views_hourly');
  });

  it('stops between batches when its signal is aborted, and the next pass finishes the job', async () => {
    await db.reset([...OLD, ...KEPT]);
    const stop = new AbortController();
    const observer: PassObserver = { batchDeleted: () => stop.abort(), passFinished() {}, passFailed() {} };
    const first = wolf({ observer });

    expect(await first.wolf.pass({ signal: stop.signal })).toMatchObject({
      status: 'stopped',
      deleted: 7,
      batches: 1,
    });
    expect(first.lines('retention pass stopped for shutdown')).toEqual([
      expect.objectContaining({ deleted: 7, batches: 1 }),
    ]);
    expect(await db.buckets()).toHaveLength(OLD.length + KEPT.length - 7);

    expect(await wolf().wolf.pass()).toMatchObject({ status: 'finished', deleted: 23, batches: 4 });
    expect(await db.buckets()).toEqual(sorted(KEPT));
  });

  it('never waits for a writer: a bucket a writer holds is left for the next pass', async () => {
    await db.reset([...OLD, ...KEPT]);
    const held = OLD[10] ?? expect.fail('no such bucket');
    const writer = new pg.Client({ connectionString: db.database.url });
    await writer.connect();
    try {
      // A flush in the middle of its statement, holding an old bucket: the increments service accepts views
      // for hours of any age.
      await writer.query('BEGIN');
      await writer.query('UPDATE page_views_hourly SET views = views + 1 WHERE page = $1 AND hour = $2', [
        held.page,
        held.hour,
      ]);

      expect(await wolf().wolf.pass()).toMatchObject({ status: 'finished', deleted: 29, batches: 5 });
      expect(await db.buckets()).toEqual(sorted([held, ...KEPT]));
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }
    expect(await wolf().wolf.pass()).toMatchObject({ status: 'finished', deleted: 1 });
    expect(await db.buckets()).toEqual(sorted(KEPT));
  });

  it('is skipped, deleting nothing, while another session holds the pass lock', async () => {
    await db.reset([...OLD, ...KEPT]);
    const other = new pg.Client({ connectionString: db.database.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [PASS_LOCK_KEY]);
      expect(await lockHeld()).toBe(true);
      const { wolf: w, lines } = wolf();
      expect(await w.pass()).toEqual({ status: 'skipped', reason: 'locked' });
      expect(lines('retention pass skipped')).toEqual([
        expect.objectContaining({ reason: 'another wolf is running a pass on this database' }),
      ]);
      expect(await db.buckets()).toHaveLength(OLD.length + KEPT.length);
      await other.query('SELECT pg_advisory_unlock($1)', [PASS_LOCK_KEY]);
    } finally {
      await other.end();
    }
    expect(await wolf().wolf.pass()).toMatchObject({ status: 'finished', deleted: 30 });
  });

  it('is skipped when this wolf is already running one', async () => {
    await db.reset([...OLD, ...KEPT]);
    const { wolf: w, lines } = wolf();
    const [first, second] = await Promise.all([w.pass(), w.pass()]);
    expect(first).toMatchObject({ status: 'finished', deleted: 30 });
    expect(second).toEqual({ status: 'skipped', reason: 'busy' });
    expect(lines('retention pass skipped')).toEqual([
      expect.objectContaining({ reason: 'a pass is already running in this process' }),
    ]);
  });

  it('fails without rejecting when a batch fails, keeps what committed, and leaves the lock free', async () => {
    // A row that refuses to be deleted, among the rows the second batch reaches (the first ends at -34 hours).
    await db.reset([...OLD, ...KEPT, { page: '/poison', hour: hoursAfter(CUTOFF, -30), views: 1 }]);
    await db.sql(`
      CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'poison bucket'; END $$`);
    await db.sql(`
      CREATE TRIGGER refuse_poison BEFORE DELETE ON page_views_hourly
      FOR EACH ROW WHEN (OLD.page = '/poison') EXECUTE FUNCTION refuse_poison()`);
    let failures = 0;
    const observer: PassObserver = { batchDeleted() {}, passFinished() {}, passFailed: () => failures++ };
    const { wolf: w, lines } = wolf({ observer });

    const outcome = await w.pass();

    expect(outcome).toMatchObject({
      status: 'failed',
      deleted: 7,
      batches: 1,
      error: { message: 'poison bucket' },
    });
    expect(failures).toBe(1);
    expect(lines('retention pass failed')).toEqual([
      expect.objectContaining({ level: 'error', deleted: 7, batches: 1, cutoff: CUTOFF }),
    ]);
    // The failed pass's connection was discarded, and its session's lock with it (once the server has noticed).
    await eventually('the pass lock is free', lockHeld, (held) => !held);

    await db.sql('DROP TRIGGER refuse_poison ON page_views_hourly');
    expect(await w.pass()).toMatchObject({ status: 'finished', deleted: 24 });
    expect(await db.buckets()).toEqual(sorted(KEPT));
  });

  it('fails without rejecting when the database cannot be reached', async () => {
    const nowhere = new pg.Pool({
      connectionString: `postgres://postgres@127.0.0.1:${await findFreePort()}/x`,
    });
    try {
      const { wolf: w, lines } = wolf({ pool: nowhere });
      const outcome = await w.pass();
      expect(outcome).toMatchObject({ status: 'failed', deleted: 0, batches: 0 });
      expect(outcome.status === 'failed' && isDatabaseUnavailable(outcome.error)).toBe(true);
      expect(lines('retention pass failed')).toHaveLength(1);
    } finally {
      await nowhere.end();
    }
  });
});
