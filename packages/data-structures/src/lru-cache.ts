// A least-recently-used cache with O(1) put, get/tryGet, has, peek, remove, clear and size.
//
// Guarantees:
// - At most `maxItems` entries, and, when `maxSize` is given, a total `sizeOf` of at most `maxSize`, after every
//   call returns: a put evicts least-recently-used entries until both limits hold again.
// - get/tryGet of a present key, and put (new or existing key), make the entry the most recently used; has and
//   peek do not.
// - put of an existing key replaces its value and its size (the old size is given back first).
// - An entry whose size alone exceeds `maxSize` is not stored, and a previous entry under its key is removed
//   (keeping the old value would answer a later get with something the caller has replaced): put returns false.
//   No other entry is evicted to make room for it.
// - `onEvict` is called, and `evictions` counted, only for entries pushed out by the limits, never for remove,
//   clear or replacement: those the caller asked for.
//
// Layout: the recency list lives in index arrays, as in the `lru-cache` package, not in one object per entry.
// An entry is a slot number; `keys`, `values` and `sizes` hold its fields, and `prev`/`next` (Uint32Array) link
// the slots from the least recently used (`head`) to the most recent (`tail`). A Map gives the slot of a key.
// Freed slots go on a stack and are reused before new ones, so the arrays never grow past `maxItems`.
// The arrays grow on demand (doubling, from 16 slots, capped at `maxItems`) rather than being allocated for
// `maxItems` up front: a cache configured for 10 million entries that holds 1,000 costs 1,000 slots' memory
// (the typed arrays take 20 bytes a slot). Doubling copies each slot O(1) times on average, so put stays O(1)
// amortized; clear() gives the memory back.
// Against a node-object version (class Node {key, value, size, prev, next}, same Map) the arrays were faster in
// get-heavy, set-heavy and eviction-heavy runs alike: the node version allocates an object per insert and chases
// pointers spread over the heap; the arrays are contiguous and reuse their slots. So: index arrays. `pnpm bench
// lru` measures the cache as it is now (bench/results/lru.md).

export interface LruCacheOptions<K, V> {
  /** entries held at most (≥ 1) */
  maxItems: number;
  /** total of sizeOf over the entries held at most; Infinity (the default) is no limit */
  maxSize?: number;
  /** an entry's size, a finite number ≥ 0; called once per put. Default: every entry is 1. */
  sizeOf?: (value: V, key: K) => number;
  /** called after an entry has been pushed out by a limit (not on remove, clear or replacement) */
  onEvict?: (key: K, value: V) => void;
}

/** Thrown by get for a key that is not in the cache. */
export class LruKeyNotFoundError extends Error {
  constructor(readonly key: unknown) {
    super(`the key ${String(key)} is not in the cache`);
    this.name = 'LruKeyNotFoundError';
  }
}

/** Marks "no slot" in prev/next; maxItems is capped below it. */
const NONE = 0xffff_ffff;

/** Slots the arrays start with; they double from there, up to maxItems. */
const INITIAL_SLOTS = 16;

export class LruCache<K, V> {
  readonly maxItems: number;
  readonly maxSize: number;
  private readonly sizeOf: ((value: V, key: K) => number) | undefined;
  private readonly onEvict: ((key: K, value: V) => void) | undefined;

  private readonly slots = new Map<K, number>();
  private readonly keys: (K | undefined)[] = [];
  private readonly values: (V | undefined)[] = [];
  private sizes: Float64Array;
  private prev: Uint32Array;
  private next: Uint32Array;
  /** freed slots, reused before `used` grows */
  private free: Uint32Array;
  private freeCount = 0;
  /** slots handed out so far, freed or not */
  private used = 0;
  private head = NONE;
  private tail = NONE;
  private bytes = 0;
  private evicted = 0;

  constructor(options: LruCacheOptions<K, V>) {
    const { maxItems, maxSize = Infinity } = options;
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems >= NONE) {
      throw new RangeError(`maxItems must be a whole number from 1 to ${NONE - 1}, got ${maxItems}`);
    }
    if (!(maxSize >= 0)) throw new RangeError(`maxSize must be a number ≥ 0, got ${maxSize}`);
    this.maxItems = maxItems;
    this.maxSize = maxSize;
    this.sizeOf = options.sizeOf;
    this.onEvict = options.onEvict;
    const slots = Math.min(maxItems, INITIAL_SLOTS);
    this.sizes = new Float64Array(slots);
    this.prev = new Uint32Array(slots);
    this.next = new Uint32Array(slots);
    this.free = new Uint32Array(slots);
  }

  /** Slots the arrays have room for now (≤ maxItems); grows with the entries held. */
  get capacity(): number {
    return this.prev.length;
  }

  /** Entries held. */
  get size(): number {
    return this.slots.size;
  }

  /** Total size of the entries held (their count when there is no sizeOf). */
  get totalSize(): number {
    return this.bytes;
  }

  /** Entries pushed out by the limits since the cache was made. */
  get evictions(): number {
    return this.evicted;
  }

  /**
   * Stores `value` under `key` as the most recently used entry, evicting least-recently-used entries until both
   * limits hold. Returns false, storing nothing (and dropping any old entry for the key), when the entry alone
   * is larger than maxSize.
   */
  put(key: K, value: V): boolean {
    const size = this.sizeOf ? this.sizeOf(value, key) : 1;
    if (!(size >= 0) || size === Infinity) {
      throw new RangeError(`sizeOf must return a finite number ≥ 0, got ${size}`);
    }
    const slot = this.slots.get(key);
    if (size > this.maxSize) {
      if (slot !== undefined) this.delete(slot);
      return false;
    }
    if (slot !== undefined) {
      this.values[slot] = value;
      this.bytes += size - (this.sizes[slot] as number);
      this.sizes[slot] = size;
      this.moveToTail(slot);
      // The entry being replaced is the most recent now, so evicting from the head never reaches it.
      this.evictUntil(0);
      return true;
    }
    // Make room first: a slot for the new entry, and its size under the limit.
    this.evictUntil(size);
    if (this.slots.size >= this.maxItems) this.evictHead();
    if (this.freeCount === 0 && this.used === this.prev.length) this.grow();
    const fresh = this.freeCount > 0 ? (this.free[--this.freeCount] as number) : this.used++;
    this.slots.set(key, fresh);
    this.keys[fresh] = key;
    this.values[fresh] = value;
    this.sizes[fresh] = size;
    this.bytes += size;
    this.prev[fresh] = this.tail;
    this.next[fresh] = NONE;
    if (this.tail === NONE) this.head = fresh;
    else this.next[this.tail] = fresh;
    this.tail = fresh;
    return true;
  }

  /** The key's value, now the most recently used; throws LruKeyNotFoundError when the key is missing. */
  get(key: K): V {
    const slot = this.slots.get(key);
    if (slot === undefined) throw new LruKeyNotFoundError(key);
    this.moveToTail(slot);
    return this.values[slot] as V;
  }

  /** The key's value, now the most recently used, or undefined when the key is missing. */
  tryGet(key: K): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.moveToTail(slot);
    return this.values[slot];
  }

  /** The key's value without touching its recency, or undefined. */
  peek(key: K): V | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  /** Removes the key; returns whether it was there. Not an eviction. */
  remove(key: K): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.delete(slot);
    return true;
  }

  /** Removes every entry (not evictions). */
  clear(): void {
    this.slots.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.freeCount = 0;
    this.used = 0;
    this.head = NONE;
    this.tail = NONE;
    this.bytes = 0;
    const slots = Math.min(this.maxItems, INITIAL_SLOTS);
    this.sizes = new Float64Array(slots);
    this.prev = new Uint32Array(slots);
    this.next = new Uint32Array(slots);
    this.free = new Uint32Array(slots);
  }

  /**
   * Evicts least-recently-used entries until the total size is at most `limit` (or the cache is empty), as if
   * maxSize were `limit` for a moment; they count as evictions. Returns how many were evicted. Lets an owner
   * that holds memory outside the cache (a response still arriving) keep cache + outside within one budget.
   */
  evictTo(limit: number): number {
    let count = 0;
    while (this.bytes > limit && this.head !== NONE) {
      this.evictHead();
      count++;
    }
    return count;
  }

  /** Keys from the most recently used to the least; recency is not changed. */
  *keysByRecency(): IterableIterator<K> {
    for (let slot = this.tail; slot !== NONE; slot = this.prev[slot] as number) yield this.keys[slot] as K;
  }

  /** Doubles the arrays (capped at maxItems); called only when every slot is in use. */
  private grow(): void {
    const slots = Math.min(this.maxItems, this.prev.length * 2);
    const widen = <T extends Float64Array | Uint32Array>(old: T, fresh: T): T => {
      fresh.set(old);
      return fresh;
    };
    this.sizes = widen(this.sizes, new Float64Array(slots));
    this.prev = widen(this.prev, new Uint32Array(slots));
    this.next = widen(this.next, new Uint32Array(slots));
    // `free` is empty when the arrays grow, so it needs no copy.
    this.free = new Uint32Array(slots);
  }

  /** Evicts from the head until `incoming` more fits under maxSize. */
  private evictUntil(incoming: number): void {
    while (this.bytes + incoming > this.maxSize && this.head !== NONE) this.evictHead();
  }

  private evictHead(): void {
    const slot = this.head;
    const key = this.keys[slot] as K;
    const value = this.values[slot] as V;
    this.delete(slot);
    this.evicted++;
    this.onEvict?.(key, value);
  }

  private delete(slot: number): void {
    this.slots.delete(this.keys[slot] as K);
    this.unlink(slot);
    this.bytes -= this.sizes[slot] as number;
    // Drop the references so the GC can take the key and the value now, not when the slot is reused.
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.free[this.freeCount++] = slot;
    if (this.slots.size === 0) this.bytes = 0; // no drift from adding and subtracting fractional sizes
  }

  private moveToTail(slot: number): void {
    if (slot === this.tail) return;
    this.unlink(slot);
    this.prev[slot] = this.tail;
    this.next[slot] = NONE;
    if (this.tail === NONE) this.head = slot;
    else this.next[this.tail] = slot;
    this.tail = slot;
  }

  private unlink(slot: number): void {
    const before = this.prev[slot] as number;
    const after = this.next[slot] as number;
    if (before === NONE) this.head = after;
    else this.next[before] = after;
    if (after === NONE) this.tail = before;
    else this.prev[after] = before;
  }
}
