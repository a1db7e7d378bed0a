// The rules the rebalancer applies to one id (src/rebalance/reconcile.ts): which copy wins, who gets a copy, which
// misplaced copies may be purged and when a tombstone may be reclaimed. Examples for each rule, then properties
// over random placements, copies, health and failed copies: a purge never removes the last newest copy, nothing
// is purged while an owner is down, and two rounds leave every blob on exactly its owners.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareCopies,
  confirmedPurges,
  reconcile,
  type Copy,
  type IdState,
} from '../../src/rebalance/reconcile.js';

const DAY = 86_400_000;
const NOW = 1_700_000_000_000;
const data = (version: number, modified = NOW): Copy => ({ version, deleted: false, modified });
const tombstone = (version: number, modified = NOW): Copy => ({ version, deleted: true, modified });

function state(copies: Record<string, Copy>, overrides: Partial<IdState> = {}): IdState {
  return {
    owners: ['a', 'b'],
    copies: new Map(Object.entries(copies)),
    replicationFactor: 2,
    isHealthy: () => true,
    now: NOW,
    tombstoneTtlMs: 7 * DAY,
    mayReclaim: true,
    ...overrides,
  };
}

describe('which copy wins', () => {
  it('orders by version, and a tombstone above data at the same version', () => {
    expect(compareCopies(data(1), data(2))).toBeLessThan(0);
    expect(compareCopies(tombstone(1), data(2))).toBeLessThan(0);
    expect(compareCopies(data(2), tombstone(1))).toBeGreaterThan(0);
    expect(compareCopies(tombstone(2), data(2))).toBeGreaterThan(0);
    expect(compareCopies(data(2), data(2))).toBe(0);
    expect(compareCopies(tombstone(2), tombstone(2))).toBe(0);
  });

  it('copies the newest version to the owner holding an older one', () => {
    const plan = reconcile(state({ a: data(1), b: data(3) }));
    expect(plan?.newest).toEqual(data(3));
    expect(plan?.sources).toEqual(['b']);
    expect(plan?.copies).toEqual([{ to: 'a' }]);
  });

  it('lets a newer tombstone replace data, and newer data replace a tombstone', () => {
    expect(reconcile(state({ a: data(4), b: tombstone(5) }))?.copies).toEqual([{ to: 'a' }]);
    const rewritten = reconcile(state({ a: data(6), b: tombstone(5) }));
    expect(rewritten?.newest).toEqual(data(6));
    expect(rewritten?.copies).toEqual([{ to: 'b' }]);
  });

  it('lets a tombstone win a tie, purging the data at that very version first', () => {
    const plan = reconcile(state({ a: data(5), b: tombstone(5) }));
    expect(plan?.newest.deleted).toBe(true);
    expect(plan?.copies).toEqual([{ to: 'a', replaceVersion: 5 }]);
  });

  it('has nothing to do for an id nobody holds', () => {
    expect(reconcile(state({}))).toBeUndefined();
  });
});

describe('who gets a copy', () => {
  it('gives it to every healthy owner lacking it, from owners first then the others by name', () => {
    const plan = reconcile(
      state({ z: data(7), c: data(7) }, { owners: ['a', 'b', 'd'], replicationFactor: 3 }),
    );
    expect(plan?.copies).toEqual([{ to: 'a' }, { to: 'b' }, { to: 'd' }]);
    expect(plan?.sources).toEqual(['c', 'z']);
    const withOwner = reconcile(state({ z: data(7), b: data(7) }));
    expect(withOwner?.sources).toEqual(['b', 'z']);
  });

  it('never copies to an owner that is down', () => {
    const plan = reconcile(state({ b: data(2) }, { isHealthy: (name) => name !== 'a' }));
    expect(plan?.copies).toEqual([]);
  });

  it('calls an id under-replicated when fewer than R nodes hold its newest version, wherever they are', () => {
    expect(reconcile(state({ a: data(2), b: data(1) }))?.underReplicated).toBe(true);
    expect(reconcile(state({ a: data(2), c: data(2) }))?.underReplicated).toBe(false);
    expect(reconcile(state({ a: tombstone(2), b: data(2) }))?.underReplicated).toBe(true);
    expect(reconcile(state({ a: data(2), b: data(2) }))?.underReplicated).toBe(false);
  });
});

describe('which misplaced copies may be purged', () => {
  it('offers every non-owner copy, older ones too, once every owner is healthy', () => {
    const plan = reconcile(state({ a: data(3), c: data(3), d: data(1) }));
    expect(plan?.purgeCandidates).toEqual([
      { node: 'c', copy: data(3) },
      { node: 'd', copy: data(1) },
    ]);
  });

  it('offers none while an owner is down', () => {
    const plan = reconcile(state({ a: data(3), c: data(3) }, { isHealthy: (name) => name !== 'b' }));
    expect(plan?.purgeCandidates).toEqual([]);
  });

  it('purges a candidate only when every owner confirmed a copy at least as new', () => {
    const candidates = [
      { node: 'c', copy: data(3) },
      { node: 'd', copy: tombstone(3) },
    ];
    const owners = ['a', 'b'];
    const confirm = (a: Copy | undefined, b: Copy | undefined) =>
      confirmedPurges(
        candidates,
        owners,
        new Map([
          ['a', a],
          ['b', b],
        ]),
      ).map(({ node }) => node);
    expect(confirm(data(3), data(3))).toEqual(['c']); // data does not stand for a tombstone of its version
    expect(confirm(tombstone(3), tombstone(3))).toEqual(['c', 'd']);
    expect(confirm(data(4), tombstone(3))).toEqual(['c', 'd']);
    expect(confirm(data(3), undefined)).toEqual([]);
    expect(confirm(data(2), data(9))).toEqual([]);
    expect(confirmedPurges(candidates, owners, new Map([['a', data(9)]]))).toEqual([]);
    expect(confirmedPurges(candidates, [], new Map())).toEqual([]);
  });
});

describe('when a tombstone is reclaimed', () => {
  const old = NOW - 8 * DAY;
  const reclaimed = (copies: Record<string, Copy>, overrides: Partial<IdState> = {}) =>
    reconcile(state(copies, overrides))?.reclaim.map(({ node }) => node) ?? [];

  it('purges it from every owner when they all hold it, nobody else holds anything and it is old enough', () => {
    expect(reclaimed({ a: tombstone(5, old), b: tombstone(5, old) })).toEqual(['a', 'b']);
  });

  it.each([
    ['one owner stored it too recently', { a: tombstone(5, old), b: tombstone(5, NOW - DAY) }, {}],
    ['an owner lacks it', { a: tombstone(5, old) }, {}],
    ['an owner holds an older data copy', { a: tombstone(5, old), b: data(4, old) }, {}],
    ['a non-owner holds a copy', { a: tombstone(5, old), b: tombstone(5, old), c: tombstone(5, old) }, {}],
    ['a non-owner holds older data', { a: tombstone(5, old), b: tombstone(5, old), c: data(1, old) }, {}],
    [
      'an owner is down',
      { a: tombstone(5, old), b: tombstone(5, old) },
      { isHealthy: (n: string) => n !== 'b' },
    ],
    ['a listing was not read whole', { a: tombstone(5, old), b: tombstone(5, old) }, { mayReclaim: false }],
    ['the time it was stored is unknown', { a: tombstone(5, old), b: { version: 5, deleted: true } }, {}],
    ['the newest copy is data', { a: data(5, old), b: data(5, old) }, {}],
  ] as [string, Record<string, Copy>, Partial<IdState>][])('keeps it when %s', (_, copies, overrides) => {
    expect(reclaimed(copies, overrides)).toEqual([]);
  });

  it('counts the age from TOMBSTONE_TTL exactly', () => {
    const ttl = 7 * DAY;
    expect(reclaimed({ a: tombstone(5, NOW - ttl), b: tombstone(5, NOW - ttl) })).toEqual([]);
    expect(reclaimed({ a: tombstone(5, NOW - ttl - 1), b: tombstone(5, NOW - ttl - 1) })).toEqual(['a', 'b']);
  });
});

describe('over random placements', () => {
  const NODES = ['n0', 'n1', 'n2', 'n3', 'n4'];
  const copyArb = fc.record({
    version: fc.integer({ min: 1, max: 4 }),
    deleted: fc.boolean(),
    modified: fc.constantFrom(NOW, NOW - 30 * DAY),
  });
  const scenario = fc
    .record({
      order: fc.shuffledSubarray(NODES, { minLength: NODES.length, maxLength: NODES.length }),
      replicationFactor: fc.integer({ min: 1, max: 3 }),
      held: fc.dictionary(fc.constantFrom(...NODES), copyArb, { minKeys: 1 }),
      down: fc.subarray(NODES),
      failingCopies: fc.subarray(NODES),
      mayReclaim: fc.boolean(),
    })
    .map((s) => ({ ...s, owners: s.order.slice(0, s.replicationFactor) }));

  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

  /** Carries out a plan the way the rebalancer does: copies (some failing), a confirmation, then purges. */
  function execute(s: Scenario, held: Map<string, Copy>, failing: readonly string[]) {
    const isHealthy = (name: string) => !s.down.includes(name);
    const plan = reconcile({
      owners: s.owners,
      copies: new Map([...held].filter(([node]) => isHealthy(node))),
      replicationFactor: s.replicationFactor,
      isHealthy,
      now: NOW,
      tombstoneTtlMs: 7 * DAY,
      mayReclaim: s.mayReclaim,
    });
    if (!plan) return { plan, purged: [] as string[] };
    for (const { to } of plan.copies)
      if (!failing.includes(to)) held.set(to, { ...plan.newest, modified: NOW });
    const confirmed = new Map(s.owners.map((owner) => [owner, held.get(owner)]));
    const purged = confirmedPurges(plan.purgeCandidates, s.owners, confirmed).map(({ node }) => node);
    for (const node of purged) held.delete(node);
    for (const { node } of plan.reclaim) held.delete(node);
    return { plan, purged };
  }

  const holdersOf = (held: Map<string, Copy>, copy: Copy) =>
    [...held].filter(([, c]) => compareCopies(c, copy) === 0).length;

  it('never purges an owner, never purges while an owner is down, never drops the last newest copy', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const held = new Map(Object.entries(s.held));
        const listed = new Map([...held].filter(([node]) => !s.down.includes(node)));
        const { plan, purged } = execute(s, held, s.failingCopies);
        if (!plan) return;
        for (const node of purged) expect(s.owners).not.toContain(node);
        if (s.owners.some((owner) => s.down.includes(owner))) expect(purged).toEqual([]);
        const before = holdersOf(listed, plan.newest);
        const after = holdersOf(new Map([...held].filter(([node]) => !s.down.includes(node))), plan.newest);
        if (plan.reclaim.length === 0)
          expect(after).toBeGreaterThanOrEqual(Math.min(before, s.owners.length));
        for (const [, copy] of listed) expect(compareCopies(plan.newest, copy)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('reclaims only an old tombstone that every owner holds and nobody else does', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const held = new Map(Object.entries(s.held));
        const { plan } = execute(s, new Map(held), []);
        if (!plan || plan.reclaim.length === 0) return;
        expect(plan.newest.deleted).toBe(true);
        expect(s.mayReclaim).toBe(true);
        expect([...held.keys()].filter((node) => !s.down.includes(node)).sort()).toEqual(
          [...s.owners].sort(),
        );
        for (const owner of s.owners) {
          expect(held.get(owner)).toMatchObject({ version: plan.newest.version, deleted: true });
          expect(held.get(owner)?.modified).toBeLessThan(NOW - 7 * DAY);
        }
      }),
    );
  });

  it('leaves every id on exactly its owners, in its newest version, after two rounds with every node up', () => {
    fc.assert(
      fc.property(scenario, (s0) => {
        const s = { ...s0, down: [], mayReclaim: false };
        const held = new Map(Object.entries(s.held));
        const newest = reconcile(state(s.held, { owners: s.owners }))?.newest as Copy;
        execute(s, held, []);
        execute(s, held, []);
        expect([...held.keys()].sort()).toEqual([...s.owners].sort());
        for (const copy of held.values()) expect(compareCopies(copy, newest)).toBe(0);
      }),
    );
  });
});
