// Group commit: page views that arrive close together are summed in memory per (page, hour) and written by one
// statement, and every request is answered only once the statement that holds its views has committed.
//
// Guarantees:
// - `add` resolves only after its views are committed, and rejects with the error of the flush that held them
//   when it failed; whether that flush applied none of its views or might have applied all of them is the
//   writer's to say (hourly-store.ts: FlushFailed.outcome).
// - A request's views always travel in one flush: it is counted whole or not at all.
// - Rows reach `write` sorted by (page, hour), so concurrent flushes lock rows in one order and cannot deadlock.
// - A flush starts when `maxKeys` keys are pending, or `intervalMs` after the first pending view, or — with
//   `flushWhenIdle` — as soon as no flush is running: waiting would add latency and save nothing, because the
//   batch grows by itself while the database is busy with the previous one.
// - At most `maxConcurrentFlushes` statements run at once; pending keys beyond `maxPendingKeys` are refused
//   (Overloaded) instead of growing memory without bound while the database is slow.
// - `drain` (shutdown has begun) stops waiting: what is pending flushes now, and so does every later view.
//   `close` then flushes whatever is left, waits for every flush in flight, and refuses later views.
export interface HourlyViews {
  page: string;
  /** start of the UTC hour, milliseconds since the epoch */
  hour: number;
  views: number;
}

export interface GroupCommitOptions {
  /** Writes one batch in one statement; rows are sorted and (page, hour) is unique among them. */
  write: (rows: HourlyViews[]) => Promise<void>;
  maxKeys: number;
  intervalMs: number;
  flushWhenIdle: boolean;
  maxConcurrentFlushes: number;
  maxPendingKeys: number;
  /** Told after every flush, committed or not. */
  onFlush?: (flush: { keys: number; seconds: number; error?: unknown }) => void;
}

export class Overloaded extends Error {}
export class Closed extends Error {}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private pending = new Map<string, HourlyViews>();
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** The interval ran out while every flush slot was taken: flush as soon as one frees up. */
  private overdue = false;
  private readonly inFlight = new Set<Promise<void>>();
  private draining = false;
  private closed = false;

  constructor(private readonly options: GroupCommitOptions) {}

  get pendingKeys(): number {
    return this.pending.size;
  }

  add(views: readonly HourlyViews[]): Promise<void> {
    if (this.closed) return Promise.reject(new Closed('the service is shutting down'));
    if (views.length === 0) return Promise.resolve();
    if (this.pending.size + views.length > this.options.maxPendingKeys) {
      return Promise.reject(new Overloaded(`${this.pending.size} keys are already waiting for the database`));
    }
    for (const view of views) {
      const key = `${view.page}\u0000${view.hour}`;
      const bucket = this.pending.get(key);
      if (bucket) bucket.views += view.views;
      else this.pending.set(key, { ...view });
    }
    const committed = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return committed;
  }

  /** From now on nothing waits for company: the requests still being answered should not wait for a timer. */
  drain(): void {
    this.draining = true;
    this.flushNow();
  }

  /** Flushes what is pending and waits until no flush is in flight; later `add`s are refused. */
  async close(): Promise<void> {
    this.closed = true;
    this.draining = true;
    this.flushNow();
    while (this.inFlight.size > 0 || this.pending.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      this.flushNow();
    }
  }

  private schedule(): void {
    if (this.pending.size >= this.options.maxKeys) {
      this.flushNow();
    } else if (this.draining || (this.options.flushWhenIdle && this.inFlight.size === 0)) {
      // Not at once: the other requests parsed in this turn of the event loop join the same statement.
      this.immediate ??= setImmediate(() => this.flushNow());
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.overdue = true;
        this.flushNow();
      }, this.options.intervalMs);
    }
  }

  private flushNow(): void {
    if (this.pending.size === 0) return;
    if (this.inFlight.size >= this.options.maxConcurrentFlushes) {
      this.overdue ||= this.pending.size >= this.options.maxKeys;
      return;
    }
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.overdue = false;

    const rows = [...this.pending.values()].sort(byPageThenHour);
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    const flight = this.write(rows, waiters);
    this.inFlight.add(flight);
    void flight.finally(() => {
      this.inFlight.delete(flight);
      if (this.draining || this.overdue || this.options.flushWhenIdle) this.flushNow();
    });
  }

  private async write(rows: HourlyViews[], waiters: Waiter[]): Promise<void> {
    const started = performance.now();
    try {
      await this.options.write(rows);
    } catch (error) {
      this.options.onFlush?.({ keys: rows.length, seconds: (performance.now() - started) / 1000, error });
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    this.options.onFlush?.({ keys: rows.length, seconds: (performance.now() - started) / 1000 });
    for (const waiter of waiters) waiter.resolve();
  }
}

function byPageThenHour(a: HourlyViews, b: HourlyViews): number {
  if (a.page !== b.page) return a.page < b.page ? -1 : 1;
  return a.hour - b.hour;
}
