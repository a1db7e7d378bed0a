// The ring's guarantees (src/hash-ring.ts): the golden table, the quality numbers the
// balancer promises (docs/load-balancer.md) over 100,000 seeded random ids, and properties checked against a naive model.
// The 100,000 positions are hashed once and shared by every quality test, so the file runs in well under a second.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mulberry32 } from '@backend-rebase/seeded-random';
import { HashRing, ringPosition } from '../src/index.js';
import { ringGoldenTable } from '../src/testing/index.js';

const golden = ringGoldenTable;

const KEYS = 100_000;
const names = (count: number) => Array.from({ length: count }, (_, i) => `blob-${i + 1}`);

/** 100,000 random ids (seeded), as ring positions. */
const positions = (() => {
  const random = new Mulberry32(20_240_401);
  const out = new Uint32Array(KEYS);
  for (let i = 0; i < KEYS; i += 1) out[i] = ringPosition(`blob-${random.nextUint32().toString(36)}-${i}`);
  return out;
})();

/** The first owner of every key, as the ring's node names. */
function placement(ring: HashRing): string[] {
  return Array.from(positions, (position) => ring.ownerAt(position) as string);
}

/** The definition, spelled out slowly: every point in an array, sorted, scanned linearly. */
function naiveOwners(nodeNames: string[], pointsPerNode: number, position: number, count: number): string[] {
  const points: Array<{ value: number; name: string }> = [];
  for (const name of nodeNames) {
    for (let i = 0; i < pointsPerNode / 4; i += 1) {
      const digest = createHash('md5').update(`${name}-${i}`).digest();
      for (let word = 0; word < 4; word += 1) points.push({ value: digest.readUInt32LE(word * 4), name });
    }
  }
  points.sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const start = Math.max(
    0,
    points.findIndex((point) => point.value >= position),
  );
  const owners: string[] = [];
  for (let step = 0; step < points.length && owners.length < count; step += 1) {
    const { name } = points[(start + step) % points.length] as { name: string };
    if (!owners.includes(name)) owners.push(name);
  }
  return owners;
}

describe('HashRing: the golden table', () => {
  const ring = new HashRing(golden.nodes, golden.pointsPerNode);

  it.each(golden.cases)('places $id at $hash, owned by $owners', ({ id, hash, owners }) => {
    expect(ringPosition(id)).toBe(hash);
    expect(ring.ownersOf(id, owners.length)).toEqual(owners);
    expect(ring.ownerOf(id)).toBe(owners[0]);
  });

  it('reads positions as 32-bit integers from the digest bytes', () => {
    for (const { id } of golden.cases) {
      expect(ringPosition(id)).toBe(createHash('md5').update(id).digest().readUInt32LE(0));
    }
  });
});

describe('HashRing: quality over 100,000 random ids', () => {
  it.each([3, 4, 5, 6, 7, 8, 9, 10])('gives each of %i nodes a share within ±15 %% of the mean', (count) => {
    const ring = new HashRing(names(count));
    const counts = new Map<string, number>();
    for (const owner of placement(ring)) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    const mean = KEYS / count;
    expect(counts.size).toBe(count);
    for (const [, keys] of counts) {
      expect(keys).toBeGreaterThanOrEqual(mean * 0.85);
      expect(keys).toBeLessThanOrEqual(mean * 1.15);
    }
  });

  it.each([3, 4, 5, 6, 7, 8, 9])(
    'moves between 0.8/(n+1) and 1.2/(n+1) of the keys, all to the new node, when node %i+1 joins',
    (count) => {
      const before = placement(new HashRing(names(count)));
      const newcomer = `blob-${count + 1}`;
      const after = placement(new HashRing(names(count + 1)));
      let moved = 0;
      let movedElsewhere = 0; // counted, not asserted per key: 100,000 expect() calls take seconds
      for (let i = 0; i < KEYS; i += 1) {
        if (before[i] !== after[i]) {
          moved += 1;
          if (after[i] !== newcomer) movedElsewhere += 1;
        }
      }
      expect(movedElsewhere).toBe(0);
      expect(moved / KEYS).toBeGreaterThanOrEqual(0.8 / (count + 1));
      expect(moved / KEYS).toBeLessThanOrEqual(1.2 / (count + 1));
    },
  );

  it.each([4, 7, 10])('moves only the removed node’s keys when one of %i nodes leaves', (count) => {
    const ring = new HashRing(names(count));
    const before = placement(ring);
    for (const leaving of ['blob-1', `blob-${count}`]) {
      const after = placement(ring.withoutNode(leaving));
      let wrong = 0;
      for (let i = 0; i < KEYS; i += 1) {
        const ok = before[i] === leaving ? after[i] !== leaving : after[i] === before[i];
        if (!ok) wrong += 1;
      }
      expect(wrong).toBe(0);
    }
  });

  it('reports shares of the hash space that add up to 1 and match the measured placement', () => {
    const ring = new HashRing(names(5));
    const shares = ring.shares();
    expect(shares.reduce((sum, { share }) => sum + share, 0)).toBeCloseTo(1, 12);
    const measured = placement(ring);
    for (const { name, points, share } of shares) {
      expect(points).toBe(160);
      const keys = measured.filter((owner) => owner === name).length;
      expect(keys / KEYS).toBeCloseTo(share, 2);
    }
  });
});

describe('HashRing: properties', () => {
  const nodeName = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
  const nodeSet = fc.uniqueArray(nodeName, { minLength: 1, maxLength: 8 });
  const position = fc.nat({ max: 0xffff_ffff });

  it('depends only on the set of names, not the order of registration', () => {
    fc.assert(
      fc.property(
        nodeSet.chain((set) =>
          fc.tuple(fc.constant(set), fc.shuffledSubarray(set, { minLength: set.length })),
        ),
        fc.array(position, { minLength: 1, maxLength: 20 }),
        ([registered, shuffled], keys) => {
          const inOrder = new HashRing(registered, 8);
          // One at a time, in another order, with duplicates: as nodes join a running balancer.
          let joined = new HashRing([], 8);
          for (const name of [...shuffled, ...shuffled]) joined = joined.withNode(name);
          for (const key of keys) {
            expect(joined.ownersAt(key, 3)).toEqual(inOrder.ownersAt(key, 3));
          }
          expect(joined.shares()).toEqual(inOrder.shares());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('agrees with a naive linear scan, and owners are distinct and as many as asked (or as exist)', () => {
    fc.assert(
      fc.property(nodeSet, position, fc.integer({ min: 1, max: 10 }), (set, key, count) => {
        const owners = new HashRing(set, 8).ownersAt(key, count);
        expect(owners).toEqual(naiveOwners(set, 8, key, count));
        expect(new Set(owners).size).toBe(owners.length);
        expect(owners).toHaveLength(Math.min(count, set.length));
      }),
      { numRuns: 200 },
    );
  });

  it('breaks ties between equal points by node name, whatever the order', () => {
    // Two nodes cannot be given equal points on purpose (MD5), but a node listed twice would collide with
    // itself: it is one node. And the wrap-around past the last point goes to the first point.
    const ring = new HashRing(['b', 'a', 'a']);
    expect(ring.nodes).toEqual(['a', 'b']);
    expect(ring.ownerAt(0xffff_ffff)).toBe(ring.ownerAt(0));
  });

  it('answers nothing on an empty ring and refuses point counts that are not a multiple of 4', () => {
    const empty = new HashRing([]);
    expect(empty.ownerOf('x')).toBeUndefined();
    expect(empty.ownersOf('x', 2)).toEqual([]);
    expect(() => new HashRing(['a'], 10)).toThrow(RangeError);
    expect(() => new HashRing(['a'], 0)).toThrow(RangeError);
  });
});
