// A hash map with separate chaining, written out so that every step can be read. What it guarantees:
//
// - Keys are strings or numbers, compared the way `Map` compares them (SameValueZero): `1` and `'1'` are two keys,
//   `0` and `-0` are one, and NaN finds NaN.
// - The hash function hashes strings. A number is hashed through its string form (`String(1)` is `'1'`), so a hash
//   function you pass sees every key and `() => 0` really puts every key in one chain. With the default hash, an
//   integer that fits 32 bits is mixed directly instead (mixInt32), which spares a string allocation per lookup.
// - put, get, tryGet, has and remove take O(1) time on average. The bucket array doubles as soon as the map holds
//   more than 0.75 entries per bucket, so chains stay short; each entry keeps its hash, so growing never calls the
//   hash function again. The array never shrinks, except that clear() starts over at the initial size.
// - Lookups allocate nothing. `get` of a missing key throws KeyNotFoundError naming the key; `tryGet` returns
//   undefined. With `maxEntries`, putting one key too many throws MapFullError and leaves the map unchanged.
// - Iteration visits every entry once, in bucket order (not insertion order: it changes when the map grows).
//   Adding or removing a key while an iteration is under way makes that iteration throw at its next step, rather
//   than silently skip or repeat entries; replacing a value is fine.
import { fnv1a, mixInt32, type HashFunction } from './hashes.js';

export interface HashMapOptions {
  /** Hashes every key, numbers as their string form. Default: fnv1a (and mixInt32 for 32-bit integers). */
  hash?: HashFunction;
  /** Buckets to start with, rounded up to a power of two. Default 8. */
  initialBuckets?: number;
  /** The most entries the map may hold; putting a new key beyond it throws MapFullError. Default: no limit. */
  maxEntries?: number;
}

export class KeyNotFoundError extends Error {
  constructor(readonly key: string | number) {
    super(`key ${describeKey(key)} is not in the map`);
    this.name = 'KeyNotFoundError';
  }
}

export class MapFullError extends Error {
  constructor(
    readonly key: string | number,
    readonly maxEntries: number,
  ) {
    super(`cannot add key ${describeKey(key)}: the map is full (maxEntries is ${maxEntries})`);
    this.name = 'MapFullError';
  }
}

/** Past this many entries per bucket, the bucket array doubles. */
const LOAD_FACTOR = 0.75;
const DEFAULT_BUCKETS = 8;

/** One key-value pair, linked to the next pair of the same bucket. */
class Entry<K, V> {
  constructor(
    readonly key: K,
    public value: V,
    readonly hash: number,
    public next: Entry<K, V> | undefined,
  ) {}
}

export class HashMap<K extends string | number, V> implements Iterable<[K, V]> {
  private readonly hashFunction: HashFunction;
  private readonly mixIntegers: boolean;
  private readonly initialBuckets: number;
  private readonly maxEntries: number;
  /** Its length is a power of two, so `hash & mask` picks a bucket: cheaper than `%`, and never negative. */
  private buckets: (Entry<K, V> | undefined)[] = [];
  private mask = 0;
  private growAt = 0;
  private count = 0;
  /** Counts additions and removals, so that an iteration can tell that keys changed under it. */
  private version = 0;

  constructor(options: HashMapOptions = {}) {
    const { hash = fnv1a, initialBuckets = DEFAULT_BUCKETS, maxEntries = Infinity } = options;
    if (!Number.isSafeInteger(initialBuckets) || initialBuckets < 1) {
      throw new RangeError(`initialBuckets must be a positive integer, got ${initialBuckets}`);
    }
    if (maxEntries !== Infinity && (!Number.isSafeInteger(maxEntries) || maxEntries < 0)) {
      throw new RangeError(`maxEntries must be a non-negative integer or Infinity, got ${maxEntries}`);
    }
    this.hashFunction = hash;
    this.mixIntegers = options.hash === undefined;
    this.initialBuckets = powerOfTwoAtLeast(initialBuckets);
    this.maxEntries = maxEntries;
    this.allocateBuckets(this.initialBuckets);
  }

  get size(): number {
    return this.count;
  }

  /** The length of the bucket array: always a power of two. */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /** Inserts the key, or replaces its value when it is already there. */
  put(key: K, value: V): void {
    const hash = this.hashOf(key);
    const index = hash & this.mask;
    for (let entry = this.buckets[index]; entry !== undefined; entry = entry.next) {
      if (entry.hash === hash && sameKey(entry.key, key)) {
        entry.value = value;
        return;
      }
    }
    if (this.count >= this.maxEntries) throw new MapFullError(key, this.maxEntries);
    // Like Map, keep -0 as 0, so that iteration gives back the key that lookups match.
    const stored = Object.is(key, -0) ? (0 as K) : key;
    // A new entry goes in front of its chain: O(1), and the loop above has already ruled out a duplicate.
    this.buckets[index] = new Entry(stored, value, hash, this.buckets[index]);
    this.version++;
    if (++this.count > this.growAt) this.grow();
  }

  /** The key's value; throws KeyNotFoundError when the key is missing. */
  get(key: K): V {
    const entry = this.find(key);
    if (entry === undefined) throw new KeyNotFoundError(key);
    return entry.value;
  }

  /** The key's value, or undefined when the key is missing (or is there with the value undefined: see has). */
  tryGet(key: K): V | undefined {
    return this.find(key)?.value;
  }

  has(key: K): boolean {
    return this.find(key) !== undefined;
  }

  /** Removes the key; returns whether it was there. */
  remove(key: K): boolean {
    const hash = this.hashOf(key);
    const index = hash & this.mask;
    let previous: Entry<K, V> | undefined;
    for (let entry = this.buckets[index]; entry !== undefined; previous = entry, entry = entry.next) {
      if (entry.hash === hash && sameKey(entry.key, key)) {
        // The head is unlinked by pointing the bucket at its successor; any other entry by pointing its
        // predecessor past it. Either way the rest of the chain stays attached.
        if (previous === undefined) this.buckets[index] = entry.next;
        else previous.next = entry.next;
        this.count--;
        this.version++;
        return true;
      }
    }
    return false;
  }

  /** Removes every entry and goes back to the initial number of buckets. */
  clear(): void {
    this.allocateBuckets(this.initialBuckets);
    this.count = 0;
    this.version++;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  *entries(): IterableIterator<[K, V]> {
    for (const entry of this.walk()) yield [entry.key, entry.value];
  }

  *keys(): IterableIterator<K> {
    for (const entry of this.walk()) yield entry.key;
  }

  *values(): IterableIterator<V> {
    for (const entry of this.walk()) yield entry.value;
  }

  /** The length of every bucket's chain, in bucket order: what the demo's statistics are made of. */
  chainLengths(): number[] {
    return this.buckets.map((head) => {
      let length = 0;
      for (let entry = head; entry !== undefined; entry = entry.next) length++;
      return length;
    });
  }

  private hashOf(key: string | number): number {
    // `| 0` keeps every hash a 32-bit integer whatever the hash function returns (a uint32 above 2^31, a float),
    // which V8 stores unboxed in the entry and compares fast.
    if (typeof key === 'string') return this.hashFunction(key) | 0;
    if (this.mixIntegers && (key | 0) === key) return mixInt32(key) | 0;
    return this.hashFunction(String(key)) | 0;
  }

  private find(key: K): Entry<K, V> | undefined {
    const hash = this.hashOf(key);
    for (let entry = this.buckets[hash & this.mask]; entry !== undefined; entry = entry.next) {
      // Comparing the cached hashes first skips most string comparisons in a long chain.
      if (entry.hash === hash && sameKey(entry.key, key)) return entry;
    }
    return undefined;
  }

  private allocateBuckets(length: number): void {
    this.buckets = new Array<Entry<K, V> | undefined>(length).fill(undefined);
    this.mask = length - 1;
    this.growAt = length * LOAD_FACTOR;
  }

  /**
   * Doubles the bucket array and moves every entry to its new bucket. Growing at a fixed load factor makes the
   * total cost of all the moves proportional to the number of puts: O(1) amortized per put.
   */
  private grow(): void {
    const old = this.buckets;
    this.allocateBuckets(old.length * 2);
    for (const head of old) {
      let entry = head;
      while (entry !== undefined) {
        const next = entry.next;
        // The entries themselves move, relinked into the new chains: no allocation, no rehashing.
        const index = entry.hash & this.mask;
        entry.next = this.buckets[index];
        this.buckets[index] = entry;
        entry = next;
      }
    }
  }

  private *walk(): Generator<Entry<K, V>, void, undefined> {
    const version = this.version;
    for (const head of this.buckets) {
      for (let entry = head; entry !== undefined; entry = entry.next) {
        yield entry;
        if (this.version !== version) {
          throw new Error('the HashMap was changed during iteration (a key was added or removed)');
        }
      }
    }
  }
}

/** SameValueZero, as `Map` compares keys: `===`, except that NaN equals NaN. */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function powerOfTwoAtLeast(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}

/** Strings quoted, so that `"1"` and `1` read differently; very long keys cut short. */
function describeKey(key: string | number): string {
  if (typeof key === 'number') return String(key);
  const quoted = JSON.stringify(key);
  return quoted.length > 100 ? `${quoted.slice(0, 99)}…"` : quoted;
}
