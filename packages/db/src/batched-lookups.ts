// Lookups by key that share database round trips under load. While fewer than `maxInFlight` queries are out, a
// lookup is sent at once, alone, so a quiet service answers as fast as with one query per lookup. When they are
// all out, lookups wait, and the next query to go (as soon as one comes back) carries every key waiting, each
// distinct key once. Under load that turns many statements (each a Bind/Execute/Sync on a connection, a socket
// write, a wake-up of a server process and a reply to parse) into one, which is most of what a lookup by
// primary or unique key costs.
//
// What it guarantees:
// - a lookup is answered by a query sent after the lookup was made, never by one already on its way: it sees
//   every write committed before it was asked for, exactly as a query of its own would;
// - at most `maxInFlight` queries at once, at most `maxBatch` keys in one, waiting keys in arrival order;
// - a query that fails rejects every lookup it carried, with its error; later lookups are not affected;
// - nothing is cached: once answered, a key is forgotten.
// Keys are compared with SameValueZero (a Map's keys): two spellings that the query would treat as one key are
// two keys here, looked up side by side.

export interface BatchedLookupsOptions {
  /** Queries out at once (a share of the pool): further lookups wait and go together in the next. */
  maxInFlight: number;
  /** Distinct keys in one query; a longer queue is sent in several. */
  maxBatch: number;
}

interface Waiter<V> {
  resolve: (value: V | undefined) => void;
  reject: (error: unknown) => void;
}

export class BatchedLookups<K, V> {
  private readonly waiting = new Map<K, Waiter<V>[]>();
  private inFlight = 0;

  /**
   * `lookUp` answers distinct keys with one query: the value of each key it found (a key it did not find is
   * answered `undefined`).
   */
  constructor(
    private readonly lookUp: (keys: K[]) => Promise<Map<K, V>>,
    private readonly options: BatchedLookupsOptions,
  ) {
    for (const [name, value] of Object.entries(options)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a whole number, at least 1, got ${value}`);
      }
    }
  }

  /** The value of `key`, or undefined when the lookup found none. */
  load(key: K): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (this.inFlight < this.options.maxInFlight) this.send();
    });
  }

  private send(): void {
    const batch = new Map<K, Waiter<V>[]>();
    for (const [key, waiters] of this.waiting) {
      if (batch.size === this.options.maxBatch) break;
      batch.set(key, waiters);
    }
    for (const key of batch.keys()) this.waiting.delete(key);
    this.inFlight++;
    const keys = [...batch.keys()];
    // Called at once (the statement goes out now); a lookUp that throws rejects like one whose query failed.
    const found = (async () => this.lookUp(keys))();
    found.then(
      (values) => {
        this.done();
        for (const [key, waiters] of batch) {
          const value = values.get(key);
          for (const waiter of waiters) waiter.resolve(value);
        }
      },
      (error: unknown) => {
        this.done();
        for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
      },
    );
  }

  // Before the answers are handed out: the next query is on its way while the callers continue.
  private done(): void {
    this.inFlight--;
    while (this.waiting.size > 0 && this.inFlight < this.options.maxInFlight) this.send();
  }
}
