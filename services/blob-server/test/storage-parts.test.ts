// The small parts the store is built from, each against what it promises: the quota never lets committed usage
// pass the limit, the keyed lock serializes one key only, the sorted ids agree with a sorted array whatever
// comes and goes, the index pages through every id once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobIndex, type IndexEntry } from '../src/storage/blob-index.js';
import { FolderCounts } from '../src/storage/folder-counts.js';
import { KeyedLock } from '../src/storage/keyed-lock.js';
import { Quota } from '../src/storage/quota.js';
import { SortedIds } from '../src/storage/sorted-ids.js';
import { parseRange } from '../src/http/range.js';

describe('Quota', () => {
  it('never lets committed usage pass the limit, whatever writers of which ids do in what order', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('start' as const), id: fc.nat(4), bytes: fc.nat(60) }),
      fc.record({ kind: fc.constant('finish' as const), which: fc.nat(), commit: fc.boolean() }),
      fc.record({ kind: fc.constant('delete' as const), id: fc.nat(4) }),
    );
    fc.assert(
      fc.property(fc.nat(150), fc.array(step, { maxLength: 60 }), (limit, steps) => {
        const quota = new Quota(limit);
        const stored = new Map<number, number>(); // id → committed bytes
        const inFlight: Array<{ id: number; bytes: number }> = [];
        for (const action of steps) {
          if (action.kind === 'start') {
            if (quota.tryReserve(action.bytes, stored.get(action.id) ?? 0)) inFlight.push(action);
          } else if (action.kind === 'finish' && inFlight.length > 0) {
            const [write] = inFlight.splice(action.which % inFlight.length, 1);
            if (!write) continue;
            if (action.commit) {
              quota.commit(write.bytes, stored.get(write.id) ?? 0);
              stored.set(write.id, write.bytes);
            } else {
              quota.release(write.bytes);
            }
          } else if (action.kind === 'delete') {
            quota.adjust(-(stored.get(action.id) ?? 0));
            stored.delete(action.id);
          }
          const committed = [...stored.values()].reduce((sum, bytes) => sum + bytes, 0);
          expect(quota.used).toBe(committed);
          expect(quota.used).toBeLessThanOrEqual(limit);
          expect(quota.reserved).toBe(inFlight.reduce((sum, write) => sum + write.bytes, 0));
        }
      }),
    );
  });
});

describe('FolderCounts', () => {
  it('counts reserved slots, so concurrent new files cannot overfill a folder', () => {
    const folders = new FolderCounts(2);
    folders.add('a/00');
    expect(folders.tryReserve('a/00')).toBe(true);
    expect(folders.tryReserve('a/00')).toBe(false);
    folders.release('a/00');
    expect(folders.tryReserve('a/00')).toBe(true);
    folders.fill('a/00');
    expect(folders.filesIn('a/00')).toBe(2);
    expect(folders.tryReserve('a/00')).toBe(false);
    folders.remove('a/00');
    expect(folders.tryReserve('b/00')).toBe(true);
  });
});

describe('KeyedLock', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('runs sections of one key one at a time, in order, and of different keys together', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const section = (name: string) => async () => {
      events.push(`${name} in`);
      await tick();
      events.push(`${name} out`);
    };
    await Promise.all([
      lock.run('x', section('x1')),
      lock.run('x', section('x2')),
      lock.run('y', section('y1')),
    ]);
    expect(events.indexOf('x1 out')).toBeLessThan(events.indexOf('x2 in'));
    expect(events.indexOf('y1 in')).toBeLessThan(events.indexOf('x1 out'));
  });

  it('goes on after a section fails, and hands the failure to its caller', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('x', () => Promise.reject(new Error('boom')));
    const next = lock.run('x', () => Promise.resolve('after'));
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('after');
  });
});

describe('SortedIds', () => {
  const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  // 42 distinct ids, so adds meet ids already there and deletes meet ids that are; chunks of 8 to 12, so a
  // few dozen ids split them and deletes merge them.
  const id = fc.stringMatching(/^[a-f]{1,2}$/);
  const step = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), id }),
    fc.record({ kind: fc.constant('delete' as const), id }),
    fc.record({
      kind: fc.constant('page' as const),
      cursor: fc.option(id, { nil: undefined }),
      limit: fc.integer({ min: 1, max: 20 }),
    }),
  );

  it('agrees with a plain sorted array after any adds, deletes and pages, from any start', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 12 }),
        fc.array(id, { maxLength: 42 }),
        fc.array(step, { minLength: 20, maxLength: 400, size: 'max' }),
        (maxChunk, initial, steps) => {
          const ids = SortedIds.of(initial, maxChunk);
          let model = [...new Set(initial)].sort(byBytes);
          expect(ids.size).toBe(model.length);
          for (const action of steps) {
            if (action.kind === 'add') {
              expect(ids.add(action.id)).toBe(!model.includes(action.id));
              if (!model.includes(action.id)) model = [...model, action.id].sort(byBytes);
            } else if (action.kind === 'delete') {
              expect(ids.delete(action.id)).toBe(model.includes(action.id));
              model = model.filter((kept) => kept !== action.id);
            } else {
              const { cursor, limit } = action;
              const after = cursor === undefined ? model : model.filter((kept) => kept > cursor);
              expect(ids.page(cursor, limit)).toEqual({
                ids: after.slice(0, limit),
                more: after.length > limit,
              });
            }
            expect(ids.size).toBe(model.length);
          }
          expect(ids.page(undefined, model.length + 1)).toEqual({ ids: model, more: false });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('BlobIndex.page', () => {
  const entry = (deleted = false): IndexEntry => ({
    size: 1,
    charged: 1,
    md5: '',
    version: 1,
    modified: 0,
    deleted,
  });

  it('lists every id exactly once, in byte order, for any page size', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/);
    fc.assert(
      fc.property(fc.uniqueArray(id, { maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (ids, limit) => {
        const index = new BlobIndex();
        for (const id of ids) index.set(id, entry());
        const seen: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = index.page(cursor, limit);
          seen.push(...page.entries.map(([id]) => id));
          if (page.next === null) break;
          cursor = page.next;
        }
        expect(seen).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }),
    );
  });

  it('counts live blobs, not tombstones', () => {
    const index = new BlobIndex();
    index.set('a', entry());
    index.set('b', entry());
    index.set('b', entry(true));
    index.set('c', entry(true));
    expect(index.liveBlobs).toBe(1);
    index.delete('a');
    expect(index.liveBlobs).toBe(0);
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 1, { start: 0, end: 0 }],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=-1', 0, 'unsatisfiable'],
    [' bytes=0-1', 5, undefined],
    ['bytes= 1 - 2 ', 5, { start: 1, end: 2 }],
    [undefined, 5, undefined],
  ] as const)('%j of %d bytes is %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
