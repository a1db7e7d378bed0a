// Keeps the materialized view page_views_daily fresh: REFRESH MATERIALIZED VIEW CONCURRENTLY whenever refresh()
// is called (app.ts calls it on a schedule, and POST /internal/refresh on demand). What it guarantees:
//   - Readers are never blocked: a concurrent refresh builds the new contents aside and merges them in.
//   - Two refreshes never run at once, in this process or across instances: each holds the PostgreSQL advisory
//     lock REFRESH_LOCK_KEY, taken with pg_try_advisory_lock, and an instance that finds it taken skips its
//     turn (the other one is doing the work). Advisory locks belong to a session, so taking the lock,
//     refreshing, stamping and unlocking all run on one checked-out connection, as plain statements (the
//     analytics database uses no explicit transactions). A connection that fails half-way is discarded rather
//     than returned to the pool: ending its session is what releases a lock it might still hold.
//   - page_views_daily_refresh.refreshed_at is the database's clock when the refresh STARTED, written only
//     after the refresh committed. Every view committed before that instant is in the view, so refreshedAt
//     never claims more freshness than the data has (a process that dies between the two leaves an older stamp,
//     which claims less).
//   - A refresh has a time limit of its own (`timeoutMs`, MV_REFRESH_TIMEOUT_MS), usually longer than the
//     pool's statement_timeout: the view is recomputed from the whole table. It is set for the refresh's session
//     just before the refresh and reset right after, so the server enforces it (a refresh past it is cancelled,
//     57014, rolled back and not stamped) and the connection goes back to the pool with the pool's own limit.
//   - refresh() never joins a refresh already under way, which may have started before the caller's data was
//     written: it waits for it and runs another, shared by everyone who asks meanwhile.
//   - stop() — or the abort of a signal handed to refresh(), the service shutting down — cancels the refresh
//     under way on the server (pg_cancel_backend from a connection of its own), so shutdown never waits for a
//     recomputation nobody will read, and the database does not go on doing it after the process has left.
//     stop() resolves once the server has rolled the refresh back (a statement after it on the refresh's
//     session answered); the advisory lock goes with the discarded session.
//     A refresh asked for and not yet started never starts. Each of these rejects with RefreshCancelled, and
//     refresh() after stop() rejects too.
import { clientTimeoutMs } from '@backend-rebase/db';
import type { Logger } from '@backend-rebase/logger';
import pg from 'pg';

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

const TRY_LOCK =
  'SELECT pg_try_advisory_lock($1) AS locked, clock_timestamp() AS started_at, pg_backend_pid() AS pid';
const LIMIT = "SELECT set_config('statement_timeout', $1, false)"; // false: for the session, until the RESET
const UNLIMIT = 'RESET statement_timeout'; // back to the pool's, which the connection started with
const REFRESH = 'REFRESH MATERIALIZED VIEW CONCURRENTLY page_views_daily';
const STAMP = `
  INSERT INTO page_views_daily_refresh (singleton, refreshed_at) VALUES (true, $1)
  ON CONFLICT (singleton) DO UPDATE SET refreshed_at = excluded.refreshed_at`;
const UNLOCK = 'SELECT pg_advisory_unlock($1)';
const CANCEL = 'SELECT pg_cancel_backend($1)';
/**
 * A cancel that reaches the server between two statements is ignored by it (there is nothing to cancel yet),
 * so stop() sends it again this often until the refresh has given up.
 */
const CANCEL_REPEAT_MS = 200;

/** A refresh that stop() cancelled, or that was asked for and never started: rolled back, nothing stamped. */
export class RefreshCancelled extends Error {
  constructor(options?: ErrorOptions) {
    super('the refresh of page_views_daily was cancelled: the service is shutting down', options);
    this.name = 'RefreshCancelled';
  }
}

export interface ViewRefresherOptions {
  logger: Logger;
  observer?: RefreshObserver;
  /** The server cancels a refresh that runs longer (MV_REFRESH_TIMEOUT_MS). */
  timeoutMs: number;
}

export class ViewRefresher {
  private running: Promise<RefreshOutcome> | null = null;
  private queued: Promise<RefreshOutcome> | null = null;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** The server process running the refresh, while the refresh holds its connection: what stop() cancels. */
  private backendPid: number | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: ViewRefresherOptions,
  ) {}

  /**
   * Refreshes the view with everything committed before this call; rejects when the database fails. Aborting
   * `signal` means the service is going away: it stops the refresher, as stop() does.
   */
  refresh({ signal }: { signal?: AbortSignal } = {}): Promise<RefreshOutcome> {
    if (signal === undefined) return this.refreshOrQueue();
    const onAbort = () => void this.stop();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    return this.refreshOrQueue().finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Cancels the refresh under way and any asked for meanwhile; resolves once the server has rolled it back. */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping ??= this.cancelAll();
    return this.stopping;
  }

  private refreshOrQueue(): Promise<RefreshOutcome> {
    if (this.stopped) return Promise.reject(new RefreshCancelled());
    if (!this.running) return this.run();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.stopped ? Promise.reject(new RefreshCancelled()) : this.run();
      });
    return this.queued;
  }

  private async cancelAll(): Promise<void> {
    const settled = Promise.allSettled([this.running, this.queued]);
    if (this.backendPid !== undefined) await this.cancelOnServer(settled);
    await settled;
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
      this.throwIfStopped();
      const { rows } = await client.query<{ locked: boolean; started_at: Date; pid: number }>(TRY_LOCK, [
        REFRESH_LOCK_KEY,
      ]);
      const [row] = rows;
      if (!row?.locked) {
        client.release();
        observer?.skipped();
        logger.debug('page_views_daily is being refreshed by another session; skipped');
        return { refreshed: false };
      }
      const { started_at: startedAt, pid } = row;
      this.backendPid = pid;
      // stop() may have come while a statement was on its way: the cancel is then lost, so look before each one.
      this.throwIfStopped();
      const started = performance.now();
      const { timeoutMs } = this.options;
      await client.query(LIMIT, [`${timeoutMs}ms`]);
      this.throwIfStopped();
      // The pool's client-side timeout would give up before the server's longer limit: this one goes with it.
      const refresh: pg.QueryConfig & { query_timeout: number } = {
        text: REFRESH,
        query_timeout: clientTimeoutMs(timeoutMs),
      };
      await client.query(refresh);
      await client.query(UNLIMIT);
      await client.query(STAMP, [startedAt]);
      await client.query(UNLOCK, [REFRESH_LOCK_KEY]);
      this.backendPid = undefined;
      // A cancel stop() sent may still be on its way to this session: never hand it to another user of the pool.
      client.release(this.stopped);
      const seconds = (performance.now() - started) / 1000;
      observer?.refreshed({ refreshedAt: startedAt, seconds });
      logger.debug('page_views_daily refreshed', { refreshedAt: startedAt.toISOString(), seconds });
      return { refreshed: true, refreshedAt: startedAt, seconds };
    } catch (error) {
      this.backendPid = undefined;
      // The answer to a statement after the cancelled one says the server has finished rolling it back (the
      // error alone may arrive first); stop() resolves only then.
      if (this.stopped) await client?.query('SELECT 1').catch(() => undefined);
      // Ending the session releases the advisory lock and the refresh's own time limit, whatever state the
      // failure left them in.
      client?.release(true);
      if (this.stopped) {
        logger.info(
          'refresh of page_views_daily cancelled for shutdown; rolled back, the next start refreshes',
          { err: error },
        );
        throw error instanceof RefreshCancelled ? error : new RefreshCancelled({ cause: error });
      }
      observer?.failed();
      throw error;
    }
  }

  private throwIfStopped(): void {
    if (this.stopped) throw new RefreshCancelled();
  }

  /** Cancels the refresh's statement from a connection of its own (the pool may have none to spare). */
  private async cancelOnServer(settled: Promise<unknown>): Promise<void> {
    let done = false;
    void settled.then(() => (done = true));
    const canceller = new pg.Client(this.pool.options);
    try {
      await canceller.connect();
      while (!done && this.backendPid !== undefined) {
        await canceller.query(CANCEL, [this.backendPid]);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          settled,
          new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_REPEAT_MS))),
        ]);
        clearTimeout(timer);
      }
    } catch (error) {
      // The refresh then ends by its own time limit, or with the connection's failure; stop() waits for it.
      this.options.logger.warn('cannot cancel the refresh of page_views_daily', { err: error });
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }
}
