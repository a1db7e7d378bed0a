// The k-way merge of the nodes' listings (src/rebalance/listing-merge.ts): every id once, in order, with each
// node's entry; pages are read only as they are used up, so at most one page per node is held; a node whose page
// fails leaves the merge and the others go on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeListings, type Page, type PageReader } from '../../src/rebalance/listing-merge.js';

interface Entry {
  id: string;
  node: string;
}

/** A node's listing over sorted ids, `pageSize` at a time, recording the pages read. */
function pagedListing(
  node: string,
  ids: string[],
  pageSize: number,
  reads: string[] = [],
): PageReader<Entry> {
  const sorted = [...new Set(ids)].sort();
  return (cursor) => {
    reads.push(`${node}:${cursor ?? ''}`);
    const start = cursor === undefined ? 0 : sorted.findIndex((id) => id > cursor);
    const from = start === -1 ? sorted.length : start;
    const entries = sorted.slice(from, from + pageSize).map((id) => ({ id, node }));
    const last = from + pageSize >= sorted.length;
    return Promise.resolve({ entries, next: last ? null : (entries.at(-1)?.id ?? null) });
  };
}

async function collect<E extends { id: string }>(
  readers: Map<string, PageReader<E>>,
  failures: string[] = [],
): Promise<{ id: string; nodes: string[] }[]> {
  const out: { id: string; nodes: string[] }[] = [];
  for await (const { id, copies } of mergeListings(readers, (node) => failures.push(node)))
    out.push({ id, nodes: [...copies.keys()].sort() });
  return out;
}

describe('merging listings', () => {
  it('yields every id once, in order, with the nodes holding it', async () => {
    const merged = await collect(
      new Map([
        ['a', pagedListing('a', ['b', 'd', 'f'], 2)],
        ['b', pagedListing('b', ['a', 'd', 'g'], 1)],
        ['c', pagedListing('c', [], 5)],
      ]),
    );
    expect(merged).toEqual([
      { id: 'a', nodes: ['b'] },
      { id: 'b', nodes: ['a'] },
      { id: 'd', nodes: ['a', 'b'] },
      { id: 'f', nodes: ['a'] },
      { id: 'g', nodes: ['b'] },
    ]);
  });

  it('agrees with a plain union for any listings and page sizes', async () => {
    const idArb = fc.stringMatching(/^[0-9A-Za-z._-]{1,4}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ ids: fc.array(idArb, { maxLength: 30 }), pageSize: fc.integer({ min: 1, max: 7 }) }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (nodes) => {
          const readers = new Map(
            nodes.map(({ ids, pageSize }, i) => [`n${i}`, pagedListing(`n${i}`, ids, pageSize)]),
          );
          const expected = new Map<string, string[]>();
          nodes.forEach(({ ids }, i) => {
            for (const id of new Set(ids)) expected.set(id, [...(expected.get(id) ?? []), `n${i}`]);
          });
          const want = [...expected.keys()]
            .sort()
            .map((id) => ({ id, nodes: (expected.get(id) as string[]).sort() }));
          expect(await collect(readers)).toEqual(want);
        },
      ),
    );
  });

  it('reads a next page only once the current one is used up', async () => {
    const reads: string[] = [];
    const merged = mergeListings(
      new Map([
        ['a', pagedListing('a', ['1', '2', '3', '4'], 2, reads)],
        ['b', pagedListing('b', ['5', '6'], 2, reads)],
      ]),
      () => undefined,
    );
    expect((await merged.next()).value?.id).toBe('1');
    expect(reads).toEqual(['a:', 'b:']);
    expect((await merged.next()).value?.id).toBe('2');
    expect(reads).toEqual(['a:', 'b:']);
    expect((await merged.next()).value?.id).toBe('3');
    expect(reads).toEqual(['a:', 'b:', 'a:2']);
    await merged.return(undefined);
  });

  it('reads past an empty page that is not the last', async () => {
    const pages: Page<Entry>[] = [
      { entries: [], next: 'x' },
      { entries: [{ id: 'y', node: 'a' }], next: null },
    ];
    let read = 0;
    const merged = await collect(new Map([['a', () => Promise.resolve(pages[read++] as Page<Entry>)]]));
    expect(merged).toEqual([{ id: 'y', nodes: ['a'] }]);
  });

  it('drops a node whose page fails and merges the others to the end', async () => {
    const failing: PageReader<Entry> = (cursor) =>
      cursor === undefined
        ? Promise.resolve({ entries: [{ id: 'a', node: 'bad' }], next: 'a' })
        : Promise.reject(new Error('connection reset'));
    const failures: string[] = [];
    const merged = await collect(
      new Map([
        ['bad', failing],
        ['good', pagedListing('good', ['a', 'b', 'c'], 1)],
      ]),
      failures,
    );
    expect(failures).toEqual(['bad']);
    expect(merged).toEqual([
      { id: 'a', nodes: ['bad', 'good'] },
      { id: 'b', nodes: ['good'] },
      { id: 'c', nodes: ['good'] },
    ]);
  });
});
