// src/server.ts as a real process against a real database: `--once` removes the old buckets, logs how many and
// exits 0 (1 when the pass fails) without listening; the long-running wolf passes right after it starts, serves
// its metrics, and exits 0 on SIGTERM leaving no connection behind.
import { fileURLToPath } from 'node:url';
import { findFreePort } from '@backend-rebase/net';
import { eventually, startServiceProcess } from '@backend-rebase/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { retentionCutoff } from '../src/retention/cutoff.js';
import {
  bucketsAround,
  createBucketDatabase,
  sorted,
  type Bucket,
  type BucketDatabase,
} from './support/buckets.js';

// Starting a process with tsx takes seconds on a busy two-core machine: more than vitest's default 5 s allows.
const PROCESS_TIMEOUT_MS = 30_000;
const RETENTION_HOURS = 24;

// The real clock: two hours of margin on either side of the cutoff, so the hour turning during a test changes
// nothing. 30 old buckets, 9 kept.
function seedAroundNow(): { old: Bucket[]; kept: Bucket[] } {
  const cutoff = retentionCutoff(new Date(), RETENTION_HOURS);
  return {
    old: bucketsAround(
      cutoff,
      ['/home', '/pricing', '/blog'],
      [-2, -3, -5, -8, -13, -21, -34, -55, -89, -144],
    ),
    kept: bucketsAround(cutoff, ['/home', '/pricing', '/blog'], [2, 12, 24]),
  };
}

async function withDatabase(label: string, test: (db: BucketDatabase) => Promise<void>): Promise<void> {
  const db = await createBucketDatabase(label);
  try {
    await test(db);
  } finally {
    await db.close();
  }
}

const env = (db: BucketDatabase, more: Record<string, string> = {}) => ({
  ANALYTICS_DATABASE_URL: db.database.url,
  RETENTION_HOURS: String(RETENTION_HOURS),
  WOLF_BATCH_SIZE: '7',
  ...more,
});

// The processes start side by side: most of each test is waiting for tsx to load the service.
describe.concurrent('src/server.ts', () => {
  it(
    '--once removes the old buckets, logs how many, and exits 0 without listening',
    () =>
      withDatabase('once', async (db) => {
        const { old, kept } = seedAroundNow();
        await db.reset([...old, ...kept]);
        const port = await findFreePort();

        const wolf = startWolf(['--once'], env(db, { PORT: String(port) }));

        expect(await wolf.exited, wolf.output()).toBe(0);
        expect(wolf.logged('retention pass finished')).toEqual([
          expect.objectContaining({ deleted: 30, batches: 5, retentionHours: RETENTION_HOURS, batchSize: 7 }),
        ]);
        expect(wolf.output()).not.toContain('listening');
        expect(await db.buckets()).toEqual(sorted(kept));
      }),
    PROCESS_TIMEOUT_MS,
  );

  it(
    '--once exits 1 when the pass fails',
    () =>
      withDatabase('once failing', async (db) => {
        const { old, kept } = seedAroundNow();
        await db.reset([...old, ...kept]);
        // Every delete is refused: the database is up (start-up succeeds), the pass is not.
        await db.sql(`
          CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'deletes refused'; END $$`);
        await db.sql(
          'CREATE TRIGGER refuse BEFORE DELETE ON page_views_hourly FOR EACH ROW EXECUTE FUNCTION refuse()',
        );

        const wolf = startWolf(['--once'], env(db));

        expect(await wolf.exited, wolf.output()).toBe(1);
        expect(wolf.logged('retention pass failed')).toEqual([
          expect.objectContaining({ level: 'error', deleted: 0, batches: 0 }),
        ]);
        expect(await db.buckets()).toHaveLength(old.length + kept.length);
      }),
    PROCESS_TIMEOUT_MS,
  );

  it(
    'serving, passes right after start, and shuts down cleanly on SIGTERM',
    () =>
      withDatabase('serving', async (db) => {
        const { old, kept } = seedAroundNow();
        await db.reset([...old, ...kept]);
        const port = await findFreePort();
        const base = `http://127.0.0.1:${port}`;
        const wolf = startWolf([], env(db, { PORT: String(port), HOST: '127.0.0.1' }));
        try {
          const metrics = () =>
            fetch(`${base}/metrics`).then(
              (response) => response.text(),
              () => '',
            );
          await eventually(
            '30 rows deleted',
            metrics,
            (text) => text.includes('\nwolf_rows_deleted_total 30\n'),
            {
              timeoutMs: 20_000,
            },
          );
          expect(await metrics()).toMatch(/\nwolf_last_pass_timestamp_seconds \d{10}/);
          expect((await fetch(`${base}/ready`)).status).toBe(200);
          expect(await db.buckets()).toEqual(sorted(kept));
        } finally {
          wolf.child.kill('SIGTERM');
        }
        expect(await wolf.exited, wolf.output()).toBe(0);
        expect(wolf.output()).toContain('shutdown complete');
        // The pool was closed on shutdown: the wolf left no connection behind.
        const left = await db.sql(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'the-wolf' AND datname = $1",
          [db.database.name],
        );
        expect(left).toEqual([{ n: 0 }]);
      }),
    PROCESS_TIMEOUT_MS,
  );
});

/** src/server.ts as a real process, as `pnpm --filter the-wolf start` runs it. */
function startWolf(args: string[], env: Record<string, string>) {
  return startServiceProcess({ serviceDir: fileURLToPath(new URL('..', import.meta.url)), args, env });
}
