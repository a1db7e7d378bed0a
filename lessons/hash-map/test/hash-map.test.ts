import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashMap, KeyNotFoundError, MapFullError } from '../src/hash-map.js';
import { md5Hash, type HashFunction } from '../src/hashes.js';

type Key = string | number;

type Op =
  | { kind: 'put'; key: Key; value: number }
  | { kind: 'get' | 'tryGet' | 'has' | 'remove'; key: Key }
  | { kind: 'clear' | 'size' | 'iterate' };

// Keys from a small pool, so that random sequences hit the same keys again (replace, remove, get after remove)
// and chains of several entries form; it holds the keys `Map` treats specially: 1 next to '1', 0 next to -0, NaN
// next to 'NaN'.
const keyArb: fc.Arbitrary<Key> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom<Key>(
      'a',
      'b',
      'c',
      '',
      '1',
      'NaN',
      1,
      0,
      -0,
      Number.NaN,
      2.5,
      1e21,
      -7,
      2 ** 31,
    ),
  },
  fc.string({ unit: fc.constantFrom('x', 'y', 'é'), maxLength: 2 }),
  fc.integer({ min: -5, max: 5 }),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: fc.integer() }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constantFrom('get', 'tryGet', 'has', 'remove' as const), key: keyArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('clear', 'size', 'iterate' as const) }) },
);

/** Entries in a canonical order: a HashMap iterates in bucket order, a Map in insertion order. */
function sorted<T>(entries: Iterable<[Key, T]>): [Key, T][] {
  const name = (key: Key) => `${typeof key}:${String(key)}`;
  return [...entries].sort(([a], [b]) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

function expectSameContents(map: HashMap<Key, number>, model: Map<Key, number>): void {
  expect(map.size).toBe(model.size);
  const entries = sorted(map);
  expect(entries).toEqual(sorted(model));
  expect(sorted(map.entries())).toEqual(entries);
  expect(sorted([...map.keys()].map((key) => [key, 0]))).toEqual(entries.map(([key]) => [key, 0]));
  expect([...map.values()].sort()).toEqual(entries.map(([, value]) => value).sort());
}

/** Applies one operation to both maps and checks that they answer alike. */
function step(map: HashMap<Key, number>, model: Map<Key, number>, op: Op): void {
  switch (op.kind) {
    case 'put':
      map.put(op.key, op.value);
      model.set(op.key, op.value);
      break;
    case 'get':
      if (model.has(op.key)) expect(map.get(op.key)).toBe(model.get(op.key));
      else expect(() => map.get(op.key)).toThrow(KeyNotFoundError);
      break;
    case 'tryGet':
      expect(map.tryGet(op.key)).toBe(model.get(op.key));
      break;
    case 'has':
      expect(map.has(op.key)).toBe(model.has(op.key));
      break;
    case 'remove':
      expect(map.remove(op.key)).toBe(model.delete(op.key));
      break;
    case 'clear':
      map.clear();
      model.clear();
      break;
    case 'size':
      expect(map.size).toBe(model.size);
      break;
    case 'iterate':
      expectSameContents(map, model);
      break;
  }
}

const hashes: [string, HashFunction | undefined][] = [
  ['the default hash', undefined],
  ['MD5', md5Hash],
  ['one bucket for every key', () => 0],
];

describe.each(hashes)('HashMap with %s behaves like Map', (_name, hash) => {
  it('over random sequences of operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const map = new HashMap<Key, number>(hash ? { hash } : {});
        const model = new Map<Key, number>();
        for (const op of ops) step(map, model, op);
        expectSameContents(map, model);
      }),
    );
  });

  it('over random sequences that start from one bucket and grow', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const map = new HashMap<Key, number>({ initialBuckets: 1, ...(hash ? { hash } : {}) });
        const model = new Map<Key, number>();
        for (const op of ops) step(map, model, op);
        expectSameContents(map, model);
      }),
    );
  });
});

describe('removing from a chain', () => {
  // With `() => 0` every key is in bucket 0; new entries go in front, so putting a, b, c gives the chain c → b → a.
  function chainOfThree(): HashMap<string, number> {
    const map = new HashMap<string, number>({ hash: () => 0 });
    map.put('a', 1);
    map.put('b', 2);
    map.put('c', 3);
    expect([...map.keys()]).toEqual(['c', 'b', 'a']);
    expect(map.chainLengths()[0]).toBe(3);
    return map;
  }

  it.each([
    ['head', 'c'],
    ['middle', 'b'],
    ['tail', 'a'],
  ])('removing the %s (%s) keeps the other two reachable', (_position, removed) => {
    const map = chainOfThree();
    const values: Record<string, number> = { a: 1, b: 2, c: 3 };
    expect(map.remove(removed)).toBe(true);
    expect(map.size).toBe(2);
    expect(map.has(removed)).toBe(false);
    expect(map.remove(removed)).toBe(false);
    for (const key of ['a', 'b', 'c'].filter((key) => key !== removed))
      expect(map.get(key)).toBe(values[key]);
  });

  it('removing every node in turn empties the chain', () => {
    const map = chainOfThree();
    for (const key of ['b', 'a', 'c']) expect(map.remove(key)).toBe(true);
    expect(map.size).toBe(0);
    expect([...map]).toEqual([]);
  });
});

describe('growth', () => {
  it.each([
    ['string', (i: number): Key => `key-${i}`],
    ['integer', (i: number): Key => i * 7919],
  ])('keeps every %s key reachable across many doublings, never above 0.75 per bucket', (_kind, keyOf) => {
    const map = new HashMap<Key, number>();
    const bucketCounts = [map.bucketCount];
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      map.put(keyOf(i), i);
      expect(map.size).toBe(i + 1);
      if (map.bucketCount !== bucketCounts.at(-1)) bucketCounts.push(map.bucketCount);
      if (map.size > 0.75 * map.bucketCount) expect.fail(`${map.size} entries in ${map.bucketCount} buckets`);
    }
    // 8 → 16 → … → 32768: each step doubles, as soon as the load factor passes 0.75.
    expect(bucketCounts).toEqual(Array.from({ length: 13 }, (_, i) => 8 * 2 ** i));
    for (let i = 0; i < n; i++) {
      if (map.get(keyOf(i)) !== i) expect.fail(`key ${keyOf(i)} lost`);
    }
    expect(map.chainLengths().reduce((sum, length) => sum + length, 0)).toBe(n);
  });

  it('rounds initialBuckets up to a power of two, and clear goes back to it', () => {
    const map = new HashMap<number, number>({ initialBuckets: 100 });
    expect(map.bucketCount).toBe(128);
    for (let i = 0; i < 1000; i++) map.put(i, i);
    expect(map.bucketCount).toBe(2048);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.bucketCount).toBe(128);
    expect(map.has(1)).toBe(false);
  });

  it('rejects nonsensical options', () => {
    expect(() => new HashMap({ initialBuckets: 0 })).toThrow(/initialBuckets must be a positive integer/);
    expect(() => new HashMap({ initialBuckets: 2.5 })).toThrow(RangeError);
    expect(() => new HashMap({ maxEntries: -1 })).toThrow(/maxEntries must be/);
    expect(() => new HashMap({ maxEntries: Number.NaN })).toThrow(RangeError);
  });
});

describe('maxEntries', () => {
  function fullMap(): HashMap<string, number> {
    const map = new HashMap<string, number>({ maxEntries: 3 });
    for (const [i, key] of ['a', 'b', 'c'].entries()) map.put(key, i);
    return map;
  }

  it('refuses a new key beyond the cap with an error naming the key and the cap', () => {
    const map = fullMap();
    expect(() => map.put('d', 4)).toThrow(MapFullError);
    expect(() => map.put('d', 4)).toThrow('cannot add key "d": the map is full (maxEntries is 3)');
    expect(map.size).toBe(3);
    expect(map.has('d')).toBe(false);
  });

  it('still replaces the value of a key already there', () => {
    const map = fullMap();
    map.put('b', 20);
    expect(map.get('b')).toBe(20);
    expect(map.size).toBe(3);
  });

  it('takes a new key again once one is removed', () => {
    const map = fullMap();
    expect(map.remove('a')).toBe(true);
    map.put('d', 4);
    expect(map.get('d')).toBe(4);
    expect(() => map.put('e', 5)).toThrow(MapFullError);
  });

  it('with 0, holds nothing', () => {
    expect(() => new HashMap<string, number>({ maxEntries: 0 }).put('a', 1)).toThrow(MapFullError);
  });
});

describe('keys', () => {
  it('get of a missing key throws an error that names the key', () => {
    const map = new HashMap<Key, number>();
    map.put('present', 1);
    expect(() => map.get('user:42')).toThrow('key "user:42" is not in the map');
    expect(() => map.get(42)).toThrow('key 42 is not in the map');
    try {
      map.get('user:42');
      expect.fail('get did not throw');
    } catch (error) {
      expect(error).toBeInstanceOf(KeyNotFoundError);
      expect((error as KeyNotFoundError).key).toBe('user:42');
      expect((error as KeyNotFoundError).name).toBe('KeyNotFoundError');
    }
  });

  it('cuts a very long key short in the message', () => {
    const message = (() => {
      try {
        new HashMap<string, number>().get('x'.repeat(10_000));
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message?.length).toBeLessThan(150);
  });

  it.each<[string, HashFunction | undefined]>([
    ['the default hash', undefined],
    ['one bucket', () => 0],
  ])('1 and "1" are different keys (%s)', (_name, hash) => {
    const map = new HashMap<Key, string>(hash ? { hash } : {});
    map.put(1, 'number');
    map.put('1', 'string');
    expect(map.size).toBe(2);
    expect(map.get(1)).toBe('number');
    expect(map.get('1')).toBe('string');
    expect(map.remove(1)).toBe(true);
    expect(map.has(1)).toBe(false);
    expect(map.get('1')).toBe('string');
  });

  it('0 and -0 are one key, stored as 0, and NaN finds NaN, as in Map', () => {
    const map = new HashMap<number, string>();
    map.put(-0, 'zero');
    expect(map.get(0)).toBe('zero');
    expect(Object.is([...map.keys()][0], 0)).toBe(true);
    map.put(Number.NaN, 'nan');
    expect(map.get(Number.NaN)).toBe('nan');
    expect(map.size).toBe(2);
  });

  it('tells a key stored with the value undefined from a missing key through has', () => {
    const map = new HashMap<string, undefined>();
    map.put('a', undefined);
    expect(map.tryGet('a')).toBeUndefined();
    expect(map.has('a')).toBe(true);
    expect(map.get('a')).toBeUndefined();
  });
});

describe('iteration', () => {
  function sample(): HashMap<string, number> {
    const map = new HashMap<string, number>();
    for (let i = 0; i < 20; i++) map.put(`k${i}`, i);
    return map;
  }

  it('throws if a key is added or removed while it runs', () => {
    const adding = sample();
    expect(() => {
      for (const [key] of adding) adding.put(`${key}-new`, 0);
    }).toThrow(/changed during iteration/);
    const removing = sample();
    expect(() => {
      for (const key of removing.keys()) removing.remove(key);
    }).toThrow(/changed during iteration/);
  });

  it('allows replacing values while it runs', () => {
    const map = sample();
    for (const [key, value] of map) map.put(key, value * 10);
    expect(map.get('k3')).toBe(30);
  });
});
