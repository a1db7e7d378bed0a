// One retention pass, and nothing about HTTP or schedules: delete every page_views_hourly bucket whose hour is
// before the cutoff (retention/cutoff.ts), in batches of `batchSize` rows, one plain statement each
// (retention/delete-batch.ts), oldest first.
//
// Guarantees:
//   - The cutoff is computed once, when the pass starts, so a pass ends: rows at or after it never become
//     eligible while it runs. It ends with the first batch that finds fewer than `batchSize` rows, so n old
//     rows take floor(n / batchSize) + 1 statements (the last one finds the remainder, or nothing). Rows a
//     writer holds while their batch runs are left for the next pass (retention/delete-batch.ts).
//   - One pass at a time: in this process (a second call while one runs is skipped, not queued) and per database
//     (retention/pass-lock.ts).
//   - A stop signal is honoured between batches: each batch commits on its own, so a stopped pass leaves no
//     work half done, and the next pass carries on where it stopped.
//   - Every pass ends in exactly one log line saying what it removed, and in an outcome instead of a rejection:
//     a failed pass (the database is down) is reported, and whoever schedules passes simply runs the next one.
import type { Logger } from '@backend-rebase/logger';
import type { Clock } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { retentionCutoff } from './cutoff.js';
import { deleteBatch, FROM_THE_BEGINNING, type BatchRange } from './delete-batch.js';
import { releasePassLock, tryPassLock } from './pass-lock.js';

interface PassReport {
  /** Rows deleted, by the batches that committed. */
  deleted: number;
  /** DELETE statements that committed. */
  batches: number;
  /** Buckets with an hour before this were (or were being) deleted. */
  cutoff: Date;
  seconds: number;
}

export type SkipReason = 'busy' | 'locked';

export type PassOutcome =
  /** Every bucket before the cutoff is gone, but for rows a writer held while their batch ran. */
  | ({ status: 'finished' } & PassReport)
  /** The stop signal came between batches. */
  | ({ status: 'stopped' } & PassReport)
  | ({ status: 'failed'; error: unknown } & PassReport)
  /** busy: this process is already running a pass; locked: another wolf is. */
  | { status: 'skipped'; reason: SkipReason };

/** Told about each committed batch and each pass that finished or failed (metrics.ts counts them). */
export interface PassObserver {
  batchDeleted(rows: number): void;
  passFinished(report: PassReport): void;
  passFailed(): void;
}

export interface WolfOptions {
  /** a pool on the migrated analytics database; a pass holds one of its connections from start to end */
  pool: pg.Pool;
  logger: Logger;
  retentionHours: number;
  batchSize: number;
  observer?: PassObserver;
  /** the clock the cutoff is computed from; tests fix it */
  now?: Clock;
}

const SKIPPED: Record<SkipReason, string> = {
  busy: 'a pass is already running in this process',
  locked: 'another wolf is running a pass on this database',
};

const unobserved: PassObserver = { batchDeleted() {}, passFinished() {}, passFailed() {} };

export class Wolf {
  private readonly options: WolfOptions;
  private readonly observer: PassObserver;
  private readonly now: Clock;
  private running = false;

  constructor(options: WolfOptions) {
    this.options = options;
    this.observer = options.observer ?? unobserved;
    this.now = options.now ?? Date.now;
  }

  async pass({ signal }: { signal?: AbortSignal } = {}): Promise<PassOutcome> {
    if (this.running) return this.skip('busy');
    this.running = true;
    try {
      return await this.runPass(signal);
    } finally {
      this.running = false;
    }
  }

  private async runPass(signal: AbortSignal | undefined): Promise<PassOutcome> {
    const { pool, logger, retentionHours, batchSize } = this.options;
    const started = performance.now();
    const cutoff = retentionCutoff(new Date(this.now()), retentionHours);
    const progress = { deleted: 0, batches: 0 };
    const report = (): PassReport => ({
      ...progress,
      cutoff,
      seconds: Math.round(performance.now() - started) / 1000,
    });
    const fields = (done: PassReport) => ({
      ...done,
      cutoff: cutoff.toISOString(),
      retentionHours,
      batchSize,
    });

    let client: pg.PoolClient | undefined;
    let status: 'finished' | 'stopped' | 'locked';
    try {
      client = await pool.connect();
      status = (await tryPassLock(client))
        ? await this.deleteBatches(client, cutoff, progress, signal)
        : 'locked';
    } catch (error) {
      // Destroyed rather than returned to the pool: its session may still hold the pass lock.
      client?.release(true);
      this.observer.passFailed();
      const done = report();
      logger.error('retention pass failed', { ...fields(done), err: error });
      return { status: 'failed', error, ...done };
    }
    client.release();
    if (status === 'locked') return this.skip('locked');

    const done = report();
    if (status === 'finished') {
      this.observer.passFinished(done);
      logger.info('retention pass finished', fields(done));
    } else {
      logger.info('retention pass stopped for shutdown', fields(done));
    }
    return { status, ...done };
  }

  /** Runs batches until one finds fewer rows than it may take (finished) or the signal stops it, then releases
   * the lock. */
  private async deleteBatches(
    client: pg.PoolClient,
    cutoff: Date,
    progress: { deleted: number; batches: number },
    signal: AbortSignal | undefined,
  ): Promise<'finished' | 'stopped'> {
    const { batchSize } = this.options;
    const range: BatchRange = { from: FROM_THE_BEGINNING, cutoff, size: batchSize };
    let status: 'finished' | 'stopped' = 'stopped';
    while (!signal?.aborted) {
      const { claimed, deleted, lastHour } = await deleteBatch(client, range);
      progress.deleted += deleted;
      progress.batches += 1;
      this.observer.batchDeleted(deleted);
      if (claimed < batchSize) {
        status = 'finished';
        break;
      }
      range.from = lastHour ?? range.from;
    }
    await releasePassLock(client);
    return status;
  }

  private skip(reason: SkipReason): PassOutcome {
    this.options.logger.info('retention pass skipped', { reason: SKIPPED[reason] });
    return { status: 'skipped', reason };
  }
}
