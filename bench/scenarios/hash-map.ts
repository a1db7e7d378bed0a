// The lesson's HashMap (lessons/hash-map) against the built-in Map: the same keys, the same operations, the same
// run. Map is V8's native hash table, which hashes a string once and caches the hash inside the string; HashMap
// hashes the key on every call. The course's goal is get/put at ≥ 0.33× of Map.
//
// Keys are generated up front (100,000 of them, the course's maxEntries) and visited in a random order, so the
// measurement is the lookup, not the key generation, and not a cache-friendly sequential walk. ctx.compareOps
// times the two sides in alternating rounds, so that a busy moment on a shared machine hits both alike.
import { HashMap } from '../../lessons/hash-map/src/hash-map.js';
import { md5Hash } from '../../lessons/hash-map/src/hashes.js';
import { compareWorkloads, defineScenario, type OpsWorkload } from '../lib/index.js';
import { seededFloats } from '@backend-rebase/seeded-random';

const KEYS = 100_000;
const SMOKE_KEYS = 10_000;

/** `count` distinct values made by `make`, e.g. "user:k3x9q2m1" or a random int32. */
function distinct<T>(count: number, make: () => T): T[] {
  const values = new Set<T>();
  while (values.size < count) values.add(make());
  return [...values];
}

/** `length` (a power of two) random indices below `bound`, generated once so that both sides replay them. */
function randomIndices(random: () => number, length: number, bound: number): Uint32Array {
  return Uint32Array.from({ length }, () => Math.floor(random() * bound));
}

/** Walks `indices` forever. */
function cycle(indices: Uint32Array): () => number {
  const mask = indices.length - 1;
  let i = 0;
  return () => indices[(i = (i + 1) & mask)] ?? 0;
}

export default defineScenario({
  name: 'hash-map',
  description:
    'The lesson HashMap (separate chaining, FNV-1a): get, put of new keys with growth, mixed, 100,000 keys.',
  baseline: 'the built-in Map, with the same keys and operations in the same run.',
  async run(ctx) {
    const count = ctx.smoke ? SMOKE_KEYS : KEYS;
    const random = seededFloats(2024);
    const strings = distinct(2 * count, () => `user:${Math.floor(random() * 36 ** 8).toString(36)}`);
    const integers = distinct(count, () => Math.floor(random() * 2 ** 32) | 0);
    const walk = 1 << 18;

    // The two sides are written out separately, not behind a shared wrapper: a wrapper's extra call would add
    // the same cost to both and flatter the ratio.
    function getWorkload<K extends string | number>(
      name: string,
      keys: K[],
      makeHashMap: () => HashMap<K, number>,
    ): OpsWorkload {
      const order = randomIndices(random, walk, count);
      const present = keys.slice(0, count);
      return {
        name,
        project() {
          const map = makeHashMap();
          present.forEach((key, i) => map.put(key, i));
          const next = cycle(order);
          return () => map.get(present[next()] as K);
        },
        baseline() {
          const map = new Map<K, number>();
          present.forEach((key, i) => map.set(key, i));
          const next = cycle(order);
          return () => map.get(present[next()] as K);
        },
      };
    }

    // Fills a fresh map with every key, then starts over: the doublings (and Map's own rehashing) are part of the
    // cost, as they are for any map filled from empty.
    const puts: OpsWorkload = {
      name: 'put new keys (from empty, growing), string keys',
      project() {
        let map = new HashMap<string, number>();
        let i = 0;
        return () => {
          if (i === count) [map, i] = [new HashMap<string, number>(), 0];
          map.put(strings[i] as string, i);
          return i++;
        };
      },
      baseline() {
        let map = new Map<string, number>();
        let i = 0;
        return () => {
          if (i === count) [map, i] = [new Map<string, number>(), 0];
          map.set(strings[i] as string, i);
          return i++;
        };
      },
    };

    // Keys from a universe twice the map's size, half of them present at the start: gets hit and miss, puts
    // insert or replace, removes remove or find nothing, and the size stays around `count`.
    const mixedKeys = randomIndices(random, walk, 2 * count);
    const mixedOps = randomIndices(random, walk, 4);
    const mixed: OpsWorkload = {
      name: 'mixed 50 % get, 25 % put, 25 % remove, string keys',
      project() {
        const map = new HashMap<string, number>();
        for (let i = 0; i < count; i++) map.put(strings[2 * i] as string, i);
        const [nextKey, nextOp] = [cycle(mixedKeys), cycle(mixedOps)];
        return () => {
          const key = strings[nextKey()] as string;
          const op = nextOp();
          if (op === 0) return map.put(key, op);
          if (op === 1) return map.remove(key);
          return map.tryGet(key);
        };
      },
      baseline() {
        const map = new Map<string, number>();
        for (let i = 0; i < count; i++) map.set(strings[2 * i] as string, i);
        const [nextKey, nextOp] = [cycle(mixedKeys), cycle(mixedOps)];
        return () => {
          const key = strings[nextKey()] as string;
          const op = nextOp();
          if (op === 0) return map.set(key, op);
          if (op === 1) return map.delete(key);
          return map.get(key);
        };
      },
    };

    const workloads: OpsWorkload[] = [
      getWorkload('get, string keys', strings, () => new HashMap()),
      puts,
      mixed,
      getWorkload('get, integer keys', integers, () => new HashMap()),
      getWorkload('get, string keys, MD5 hash', strings, () => new HashMap({ hash: md5Hash })),
    ];

    return compareWorkloads(ctx, workloads);
  },
});
