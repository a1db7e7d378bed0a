// The hand-written LRU (packages/data-structures) against the `lru-cache` package, on the same keys and the same
// operations in the same run (ctx.compareOps alternates the two sides in rounds). The course's goal is ≥ 1.0× on
// each workload. Both caches hold 10,000 entries (1,000 in smoke runs):
// - get-heavy: 90 % gets of present keys (each makes its entry the most recent), 10 % puts that replace;
// - set-heavy: puts of keys drawn from twice the capacity, so about half replace and half insert and evict;
// - eviction-heavy: every put is a new key, so every put evicts the least recently used entry.
import { LruCache } from '@backend-rebase/data-structures';
import { seededFloats } from '@backend-rebase/seeded-random';
import { LRUCache } from 'lru-cache';
import { compareWorkloads, defineScenario } from '../lib/index.js';

/** Walks `indices` (a power-of-two length) forever. */
function cycle(indices: Uint32Array): () => number {
  const mask = indices.length - 1;
  let i = 0;
  return () => indices[(i = (i + 1) & mask)] ?? 0;
}

export default defineScenario({
  name: 'lru',
  description:
    'The hand-written LruCache: get-heavy, set-heavy and eviction-heavy workloads, 10,000 entries, string keys.',
  baseline: 'the lru-cache package (11.5), with the same keys and operations in the same run.',
  async run(ctx) {
    const capacity = ctx.smoke ? 1_000 : 10_000;
    const random = seededFloats(5);
    const keys = Array.from(
      { length: 8 * capacity },
      (_, i) => `blob-${i}-${Math.floor(random() * 1e9).toString(36)}`,
    );
    const walk = 1 << 18;
    const indices = (bound: number) => Uint32Array.from({ length: walk }, () => Math.floor(random() * bound));

    // The two sides are written out separately, not behind a shared wrapper: a wrapper's extra call would add the
    // same cost to both and flatter the ratio.
    const getHeavyKeys = indices(capacity);
    const getHeavyOps = indices(10);
    const setHeavyKeys = indices(2 * capacity);
    const workloads = [
      {
        name: 'get-heavy: 90 % get, 10 % replacing put',
        project() {
          const lru = new LruCache<string, number>({ maxItems: capacity });
          for (let i = 0; i < capacity; i++) lru.put(keys[i] as string, i);
          const [key, op] = [cycle(getHeavyKeys), cycle(getHeavyOps)];
          return () => (op() === 0 ? lru.put(keys[key()] as string, 1) : lru.tryGet(keys[key()] as string));
        },
        baseline() {
          const lru = new LRUCache<string, number>({ max: capacity });
          for (let i = 0; i < capacity; i++) lru.set(keys[i] as string, i);
          const [key, op] = [cycle(getHeavyKeys), cycle(getHeavyOps)];
          return () => (op() === 0 ? lru.set(keys[key()] as string, 1) : lru.get(keys[key()] as string));
        },
      },
      {
        name: 'set-heavy: put of keys from 2× the capacity (replace or insert + evict)',
        project() {
          const lru = new LruCache<string, number>({ maxItems: capacity });
          const key = cycle(setHeavyKeys);
          return () => lru.put(keys[key()] as string, 1);
        },
        baseline() {
          const lru = new LRUCache<string, number>({ max: capacity });
          const key = cycle(setHeavyKeys);
          return () => lru.set(keys[key()] as string, 1);
        },
      },
      {
        name: 'eviction-heavy: every put a new key (evicts the oldest)',
        project() {
          const lru = new LruCache<string, number>({ maxItems: capacity });
          let i = 0;
          return () => lru.put(keys[(i = (i + 1) % keys.length)] as string, i);
        },
        baseline() {
          const lru = new LRUCache<string, number>({ max: capacity });
          let i = 0;
          return () => lru.set(keys[(i = (i + 1) % keys.length)] as string, i);
        },
      },
    ];

    return compareWorkloads(ctx, workloads);
  },
});
