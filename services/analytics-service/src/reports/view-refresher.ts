// Keeps the materialized view page_views_daily fresh: REFRESH MATERIALIZED VIEW CONCURRENTLY, at start-up and
// then on a timer, and whenever refresh() is called. What it guarantees:
//   - Readers are never blocked: a concurrent refresh builds the new contents aside and merges them in.
//   - Two refreshes never run at once, in this process or across instances: each holds the PostgreSQL advisory
//     lock REFRESH_LOCK_KEY, taken with pg_try_advisory_lock, and an instance that finds it taken skips its
//     turn (the other one is doing the work). Advisory locks belong to a session, so taking the lock,
//     refreshing and stamping (one transaction) and unlocking all run on one checked-out connection. A
//     connection that fails half-way is discarded rather than returned to the pool: ending its session is
//     what releases a lock it might still hold.
//   - page_views_daily_refresh.refreshed_at is the database's clock when the refresh STARTED, written only
//     after the refresh succeeded. Every view committed before that instant is in the view, so refreshedAt
//     never claims more freshness than the data has.
//   - A refresh has a time limit of its own (`timeoutMs`, MV_REFRESH_TIMEOUT_MS), usually longer than the
//     pool's statement_timeout: the view is recomputed from the whole table. It is set with SET LOCAL in the
//     refresh's transaction, so the server enforces it (a refresh past it is cancelled, 57014, and rolled back
//     with its stamp) and the connection goes back to the pool with the pool's own limit.
//   - refresh() never joins a refresh already under way, which may have started before the caller's data was
//     written: it waits for it and runs another, shared by everyone who asks meanwhile.
//   - stop() ends the timer and waits for the refreshes already under way or asked for, so shutdown never cuts
//     a refresh short; refresh() after stop() rejects.
import { clientTimeoutMs } from '@backend-rebase/db';
import type { Logger } from '@backend-rebase/logger';
import type pg from 'pg';

/** The advisory lock of the refresh: a constant every instance on the database agrees on ('pvdaily' in ASCII). */
export const REFRESH_LOCK_KEY = 0x7076_6461_696c_79n;

export type RefreshOutcome =
  | { refreshed: true; refreshedAt: Date; seconds: number }
  /** another session holds the lock: it is refreshing right now */
  | { refreshed: false };

export interface RefreshObserver {
  refreshed(outcome: { refreshedAt: Date; seconds: number }): void;
  skipped(): void;
  failed(): void;
}

const TRY_LOCK = 'SELECT pg_try_advisory_lock($1) AS locked, clock_timestamp() AS started_at';
const LIMIT = "SELECT set_config('statement_timeout', $1, true)"; // true: SET LOCAL, for this transaction only
const REFRESH = 'REFRESH MATERIALIZED VIEW CONCURRENTLY page_views_daily';
const STAMP = `
  INSERT INTO page_views_daily_refresh (singleton, refreshed_at) VALUES (true, $1)
  ON CONFLICT (singleton) DO UPDATE SET refreshed_at = excluded.refreshed_at`;
const UNLOCK = 'SELECT pg_advisory_unlock($1)';

/** MV_REFRESH_TIMEOUT_MS's default. */
export const DEFAULT_REFRESH_TIMEOUT_MS = 10_000;

export interface ViewRefresherOptions {
  logger: Logger;
  observer?: RefreshObserver;
  /** The server cancels a refresh that runs longer; default DEFAULT_REFRESH_TIMEOUT_MS. */
  timeoutMs?: number;
}

export class ViewRefresher {
  private running: Promise<RefreshOutcome> | null = null;
  private queued: Promise<RefreshOutcome> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: ViewRefresherOptions,
  ) {}

  /** Refreshes the view with everything committed before this call; rejects when the database fails. */
  refresh(): Promise<RefreshOutcome> {
    if (this.stopped) return Promise.reject(new Error('the view refresher has been stopped'));
    if (!this.running) return this.run();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.run();
      });
    return this.queued;
  }

  /** Refreshes now, then every `intervalMs` from the start of one refresh to the start of the next. */
  start(intervalMs: number): void {
    const tick = async () => {
      const started = performance.now();
      try {
        await this.refresh();
      } catch (error) {
        this.options.logger.error('refreshing page_views_daily failed; retrying at the next interval', {
          err: error,
        });
      }
      if (this.stopped) return;
      const wait = Math.max(0, intervalMs - (performance.now() - started));
      // unref: a pending refresh alone never keeps the process alive; the server does.
      this.timer = setTimeout(() => void tick(), wait).unref();
    };
    void tick();
  }

  /** Ends the timer; resolves once the refreshes under way or already asked for have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.allSettled([this.running, this.queued]);
  }

  private run(): Promise<RefreshOutcome> {
    const current = this.refreshOnce().finally(() => {
      if (this.running === current) this.running = null;
    });
    this.running = current;
    return current;
  }

  private async refreshOnce(): Promise<RefreshOutcome> {
    const { observer, logger } = this.options;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const { rows } = await client.query<{ locked: boolean; started_at: Date }>(TRY_LOCK, [
        REFRESH_LOCK_KEY,
      ]);
      const startedAt = rows[0]?.started_at;
      if (!rows[0]?.locked || !startedAt) {
        client.release();
        observer?.skipped();
        logger.debug('page_views_daily is being refreshed by another session; skipped');
        return { refreshed: false };
      }
      const started = performance.now();
      const timeoutMs = this.options.timeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS;
      await client.query('BEGIN');
      await client.query(LIMIT, [`${timeoutMs}ms`]);
      // The pool's client-side timeout would give up before the server's longer limit: this one goes with it.
      const refresh: pg.QueryConfig & { query_timeout: number } = {
        text: REFRESH,
        query_timeout: clientTimeoutMs(timeoutMs),
      };
      await client.query(refresh);
      await client.query(STAMP, [startedAt]);
      await client.query('COMMIT');
      await client.query(UNLOCK, [REFRESH_LOCK_KEY]);
      client.release();
      const seconds = (performance.now() - started) / 1000;
      observer?.refreshed({ refreshedAt: startedAt, seconds });
      logger.debug('page_views_daily refreshed', { refreshedAt: startedAt.toISOString(), seconds });
      return { refreshed: true, refreshedAt: startedAt, seconds };
    } catch (error) {
      // Ending the session releases the advisory lock and rolls back the transaction, whatever state the
      // failure left them in.
      client?.release(true);
      observer?.failed();
      throw error;
    }
  }
}
