import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruCache, LruKeyNotFoundError } from '../src/index.js';

/**
 * The reference model: an array of [key, value, size] from the least recently used to the most, searched
 * linearly. Obviously right, O(n) everywhere.
 */
class ModelLru {
  entries: [string, number, number][] = [];
  evictions = 0;
  constructor(
    readonly maxItems: number,
    readonly maxSize: number,
  ) {}
  private index(key: string): number {
    return this.entries.findIndex(([k]) => k === key);
  }
  private total(): number {
    return this.entries.reduce((sum, [, , size]) => sum + size, 0);
  }
  put(key: string, value: number, size: number): boolean {
    const at = this.index(key);
    if (at >= 0) this.entries.splice(at, 1);
    if (size > this.maxSize) return false;
    this.entries.push([key, value, size]);
    while (this.total() > this.maxSize || this.entries.length > this.maxItems) {
      this.entries.shift();
      this.evictions++;
    }
    return true;
  }
  tryGet(key: string): number | undefined {
    const at = this.index(key);
    if (at < 0) return undefined;
    const [entry] = this.entries.splice(at, 1);
    this.entries.push(entry as [string, number, number]);
    return entry?.[1];
  }
  remove(key: string): boolean {
    const at = this.index(key);
    if (at >= 0) this.entries.splice(at, 1);
    return at >= 0;
  }
  evictTo(limit: number): number {
    let count = 0;
    while (this.total() > limit && this.entries.length > 0) {
      this.entries.shift();
      this.evictions++;
      count++;
    }
    return count;
  }
}

type Op =
  | { kind: 'put'; key: string; value: number; size: number }
  | { kind: 'get'; key: string }
  | { kind: 'peek'; key: string }
  | { kind: 'remove'; key: string }
  | { kind: 'clear' }
  | { kind: 'evictTo'; limit: number };

// Few keys, so that re-puts of an existing key (with a new size) and hits are common.
const fewKeys = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
const opsOver = (keyArb: fc.Arbitrary<string>): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('put' as const),
        key: keyArb,
        value: fc.integer(),
        size: fc.integer({ min: 0, max: 12 }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('peek' as const), key: keyArb }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: keyArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('evictTo' as const), limit: fc.integer({ min: 0, max: 30 }) }),
    },
  );

/** Runs ops on an LruCache and on the model side by side; both limits must hold after every step. */
function matchesModel(maxItems: number, maxSize: number, ops: Op[]): void {
  const sizes = new Map<number, number>(); // value → size: values are unique per put below
  let serial = 0;
  const evicted: string[] = [];
  const lru = new LruCache<string, number>({
    maxItems,
    maxSize,
    sizeOf: (value) => sizes.get(value) ?? -1,
    onEvict: (key) => evicted.push(key),
  });
  const model = new ModelLru(maxItems, maxSize);
  let most = 0;
  for (const op of ops) {
    switch (op.kind) {
      case 'put': {
        const value = serial++;
        sizes.set(value, op.size);
        expect(lru.put(op.key, value)).toBe(model.put(op.key, value, op.size));
        break;
      }
      case 'get':
        expect(lru.tryGet(op.key)).toBe(model.tryGet(op.key));
        break;
      case 'peek':
        expect(lru.peek(op.key)).toBe(model.entries.find(([k]) => k === op.key)?.[1]);
        break;
      case 'remove':
        expect(lru.remove(op.key)).toBe(model.remove(op.key));
        break;
      case 'clear':
        lru.clear();
        model.entries = [];
        most = 0;
        break;
      case 'evictTo':
        expect(lru.evictTo(op.limit)).toBe(model.evictTo(op.limit));
        break;
    }
    expect([...lru.keysByRecency()]).toEqual(model.entries.map(([k]) => k).reverse());
    expect(lru.size).toBe(model.entries.length);
    expect(lru.totalSize).toBe(model.entries.reduce((sum, [, , size]) => sum + size, 0));
    expect(lru.size).toBeLessThanOrEqual(maxItems);
    expect(lru.totalSize).toBeLessThanOrEqual(maxSize);
    expect(lru.evictions).toBe(model.evictions);
    expect(evicted).toHaveLength(model.evictions);
    // The arrays grow with the entries held (doubling from 16), never past maxItems.
    most = Math.max(most, lru.size);
    expect(lru.capacity).toBeLessThanOrEqual(Math.min(maxItems, Math.max(16, 2 * most)));
  }
}

describe('LruCache', () => {
  it('behaves like the reference model, and both limits hold after every step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 30 }),
        fc.array(opsOver(fewKeys), { maxLength: 80 }),
        matchesModel,
      ),
      { numRuns: 300 },
    );
  });

  it('behaves like the reference model while its arrays grow past their first 16 slots', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 0, max: 300 }),
        fc.array(opsOver(fc.integer({ min: 0, max: 59 }).map(String)), { maxLength: 200 }),
        matchesModel,
      ),
      { numRuns: 150 },
    );
  });

  it('allocates slots for the entries it holds, not for maxItems', () => {
    const lru = new LruCache<number, number>({ maxItems: 10_000_000 });
    expect(lru.capacity).toBe(16);
    for (let i = 0; i < 1000; i++) lru.put(i, i);
    expect(lru.capacity).toBe(1024);
    for (let i = 0; i < 1000; i++) lru.remove(i);
    for (let i = 0; i < 1000; i++) lru.put(i + 1000, i); // freed slots are reused first
    expect(lru.capacity).toBe(1024);
    expect(lru.tryGet(1500)).toBe(500);
    lru.clear();
    expect(lru.capacity).toBe(16);
  });

  it('evictTo evicts the least recently used entries until the total fits, as evictions', () => {
    const evicted: string[] = [];
    const lru = new LruCache<string, number>({
      maxItems: 10,
      sizeOf: (value) => value,
      onEvict: (key) => evicted.push(key),
    });
    lru.put('a', 3);
    lru.put('b', 3);
    lru.put('c', 3);
    lru.tryGet('a');
    expect(lru.evictTo(4)).toBe(2);
    expect(evicted).toEqual(['b', 'c']);
    expect([...lru.keysByRecency()]).toEqual(['a']);
    expect(lru.evictions).toBe(2);
    expect(lru.evictTo(0)).toBe(1);
    expect(lru.size).toBe(0);
  });

  it('evicts the least recently used entry, counting gets as uses', () => {
    const lru = new LruCache<string, string>({ maxItems: 2 });
    lru.put('a', 'A');
    lru.put('b', 'B');
    expect(lru.get('a')).toBe('A');
    lru.put('c', 'C');
    expect(lru.has('b')).toBe(false);
    expect([...lru.keysByRecency()]).toEqual(['c', 'a']);
    expect(lru.evictions).toBe(1);
  });

  it('replaces the value and the size of an existing key', () => {
    const lru = new LruCache<string, string>({ maxItems: 10, maxSize: 10, sizeOf: (value) => value.length });
    lru.put('a', 'xxxx');
    lru.put('b', 'yyyy');
    lru.put('a', 'zzzzzz'); // 6 + 4: fits exactly, nothing evicted
    expect(lru.totalSize).toBe(10);
    expect(lru.evictions).toBe(0);
    lru.put('b', 'yyyyy'); // 6 + 5: the least recent other entry, a, goes
    expect([...lru.keysByRecency()]).toEqual(['b']);
    expect(lru.totalSize).toBe(5);
  });

  it('does not store an entry larger than maxSize, and drops the old value of its key', () => {
    const lru = new LruCache<string, string>({ maxItems: 10, maxSize: 4, sizeOf: (value) => value.length });
    lru.put('keep', 'k');
    lru.put('a', 'aa');
    expect(lru.put('a', 'too long')).toBe(false);
    expect(lru.tryGet('a')).toBeUndefined();
    expect(lru.tryGet('keep')).toBe('k');
    expect(lru.evictions).toBe(0);
  });

  it('get throws for a missing key; tryGet answers undefined', () => {
    const lru = new LruCache<string, number>({ maxItems: 1 });
    expect(() => lru.get('nope')).toThrow(LruKeyNotFoundError);
    expect(lru.tryGet('nope')).toBeUndefined();
  });

  it('refuses limits it cannot keep', () => {
    expect(() => new LruCache({ maxItems: 0 })).toThrow(RangeError);
    expect(() => new LruCache({ maxItems: 1.5 })).toThrow(RangeError);
    expect(() => new LruCache({ maxItems: 1, maxSize: -1 })).toThrow(RangeError);
    const lru = new LruCache<string, number>({ maxItems: 2, sizeOf: (value) => value });
    expect(() => lru.put('a', Number.NaN)).toThrow(RangeError);
  });
});
