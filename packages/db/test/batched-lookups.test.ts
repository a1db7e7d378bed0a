import { describe, expect, it } from 'vitest';
import { BatchedLookups } from '../src/batched-lookups.js';

/** A lookUp whose queries the test answers (or fails) one by one, recording the keys of each. */
function controlledLookUp() {
  const queries: {
    keys: string[];
    answer: (values: Map<string, number>) => void;
    fail: (e: Error) => void;
  }[] = [];
  const lookUp = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      queries.push({ keys, answer: resolve, fail: reject });
    });
  return { queries, lookUp };
}

/** Every key's length: an answer the test can check against the key. */
const lengths = (keys: string[]) => new Map(keys.map((key) => [key, key.length]));

describe('BatchedLookups', () => {
  it('sends a lookup at once, alone, while fewer queries than maxInFlight are out', async () => {
    const { queries, lookUp } = controlledLookUp();
    const lookups = new BatchedLookups(lookUp, { maxInFlight: 2, maxBatch: 10 });
    const a = lookups.load('a');
    const bb = lookups.load('bb');
    expect(queries.map((query) => query.keys)).toEqual([['a'], ['bb']]);
    queries[1]!.answer(lengths(['bb']));
    queries[0]!.answer(lengths(['a']));
    expect(await a).toBe(1);
    expect(await bb).toBe(2);
  });

  it('sends the lookups made while all queries are out together, each distinct key once, in arrival order', async () => {
    const { queries, lookUp } = controlledLookUp();
    const lookups = new BatchedLookups(lookUp, { maxInFlight: 1, maxBatch: 10 });
    const first = lookups.load('x');
    const waiting = ['ccc', 'a', 'ccc', 'bb', 'a'].map((key) => lookups.load(key));
    expect(queries).toHaveLength(1);
    queries[0]!.answer(lengths(['x']));
    expect(await first).toBe(1);
    expect(queries.map((query) => query.keys)).toEqual([['x'], ['ccc', 'a', 'bb']]);
    queries[1]!.answer(lengths(['ccc', 'a', 'bb']));
    expect(await Promise.all(waiting)).toEqual([3, 1, 3, 2, 1]);
  });

  it('never answers a lookup with a query sent before it was made, even for the same key', async () => {
    const { queries, lookUp } = controlledLookUp();
    const lookups = new BatchedLookups(lookUp, { maxInFlight: 1, maxBatch: 10 });
    const before = lookups.load('k');
    const after = lookups.load('k');
    // The first query carries only the first lookup; its answer is the old value.
    queries[0]!.answer(new Map([['k', 1]]));
    expect(await before).toBe(1);
    expect(queries.map((query) => query.keys)).toEqual([['k'], ['k']]);
    queries[1]!.answer(new Map([['k', 2]]));
    expect(await after).toBe(2);
  });

  it('answers undefined for a key the query did not find', async () => {
    const lookups = new BatchedLookups(async () => new Map<string, number>(), {
      maxInFlight: 1,
      maxBatch: 10,
    });
    expect(await lookups.load('nobody')).toBeUndefined();
  });

  it('splits a longer queue into queries of at most maxBatch keys', async () => {
    const { queries, lookUp } = controlledLookUp();
    const lookups = new BatchedLookups(lookUp, { maxInFlight: 1, maxBatch: 2 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((key) => lookups.load(key));
    for (let i = 0; i < 3; i++) {
      await expect.poll(() => queries.length).toBe(i + 1);
      queries[i]!.answer(lengths(queries[i]!.keys));
    }
    expect(await Promise.all(all)).toEqual([1, 1, 1, 1, 1]);
    expect(queries.map((query) => query.keys)).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it('rejects every lookup of a failed query with its error, and goes on with the next', async () => {
    const { queries, lookUp } = controlledLookUp();
    const lookups = new BatchedLookups(lookUp, { maxInFlight: 1, maxBatch: 10 });
    const first = lookups.load('a');
    const second = lookups.load('bb');
    const third = lookups.load('bb');
    const failure = new Error('connection terminated');
    queries[0]!.fail(failure);
    await expect(first).rejects.toBe(failure);
    queries[1]!.fail(failure);
    await expect(second).rejects.toBe(failure);
    await expect(third).rejects.toBe(failure);
    const later = lookups.load('ccc');
    queries[2]!.answer(lengths(['ccc']));
    expect(await later).toBe(3);
  });

  it('turns a lookUp that throws into rejected lookups', async () => {
    const failure = new Error('bad key');
    const lookups = new BatchedLookups<string, number>(
      () => {
        throw failure;
      },
      { maxInFlight: 1, maxBatch: 10 },
    );
    await expect(lookups.load('a')).rejects.toBe(failure);
    await expect(lookups.load('b')).rejects.toBe(failure);
  });

  it('refuses limits below 1', () => {
    const lookUp = async () => new Map<string, number>();
    expect(() => new BatchedLookups(lookUp, { maxInFlight: 0, maxBatch: 10 })).toThrow(RangeError);
    expect(() => new BatchedLookups(lookUp, { maxInFlight: 1, maxBatch: 0.5 })).toThrow(RangeError);
  });
});
