// Duplicate call suppression, after groupcache's singleflight: while a call for a key is in flight, do() with the
// same key does not call again but hands back the promise of the call in flight. The proxy keys calls by blob id,
// so a burst of misses for one id makes one upstream request.
//
// Guarantees:
// - For a key, at most one fn runs at a time among the calls made through do() since the last forget(key).
// - forget(key) makes the next do(key) start a new call, while callers of the old one still get its result.
//   The proxy forgets an id when a write invalidates it: a request that arrives after the write was
//   acknowledged must never join a fetch that may have read the old content.
// - A call leaves the group when its promise settles, so a later do() calls fn again (nothing is cached here).

export class Singleflight<K, T> {
  private readonly calls = new Map<K, Promise<T>>();

  /** Calls fn unless a call for key is in flight; `shared` is true when the result is another caller's. */
  do(key: K, fn: () => Promise<T>): { result: Promise<T>; shared: boolean } {
    const inFlight = this.calls.get(key);
    if (inFlight) return { result: inFlight, shared: true };
    const result = fn();
    this.calls.set(key, result);
    const leave = () => {
      // Only if the key still names this call: after a forget(), a newer call may have taken its place.
      if (this.calls.get(key) === result) this.calls.delete(key);
    };
    result.then(leave, leave);
    return { result, shared: false };
  }

  forget(key: K): void {
    this.calls.delete(key);
  }

  forgetAll(): void {
    this.calls.clear();
  }
}
