import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryHeap } from '../src/index.js';

const byNumber = (a: number, b: number) => a - b;

function drain<T>(heap: BinaryHeap<T>): T[] {
  const out: T[] = [];
  while (heap.size > 0) out.push(heap.pop() as T);
  return out;
}

/** Operations applied to a heap and to a sorted-array model side by side. */
type Op =
  | { kind: 'push'; value: number }
  | { kind: 'pop' }
  | { kind: 'replaceTop'; value: number }
  | { kind: 'pushPop'; value: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), value: fc.integer({ min: -50, max: 50 }) }),
  fc.record({ kind: fc.constant('pop' as const) }),
  fc.record({ kind: fc.constant('replaceTop' as const), value: fc.integer({ min: -50, max: 50 }) }),
  fc.record({ kind: fc.constant('pushPop' as const), value: fc.integer({ min: -50, max: 50 }) }),
);

describe('BinaryHeap', () => {
  it('pops pushed values in sorted order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (values) => {
        const heap = new BinaryHeap(byNumber);
        for (const value of values) heap.push(value);
        expect(heap.size).toBe(values.length);
        expect(drain(heap)).toEqual([...values].sort(byNumber));
      }),
    );
  });

  it('behaves like a sorted array under any mix of operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const heap = new BinaryHeap(byNumber);
        const model: number[] = [];
        const insert = (value: number) => {
          model.push(value);
          model.sort(byNumber);
        };
        for (const op of ops) {
          switch (op.kind) {
            case 'push':
              heap.push(op.value);
              insert(op.value);
              break;
            case 'pop':
              expect(heap.pop()).toBe(model.shift());
              break;
            case 'replaceTop':
              if (model.length === 0) {
                expect(() => heap.replaceTop(op.value)).toThrow(RangeError);
              } else {
                expect(heap.replaceTop(op.value)).toBe(model.shift());
                insert(op.value);
              }
              break;
            case 'pushPop':
              insert(op.value);
              expect(heap.pushPop(op.value)).toBe(model.shift());
              break;
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe(model[0]);
        }
        expect(drain(heap)).toEqual(model);
      }),
    );
  });

  it('re-sifts an element whose key grew in place (the merge cursor pattern)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer(), { minLength: 1 }), { minLength: 1, maxLength: 20 }),
        (lists) => {
          // k sorted lists merged through cursors that the heap reorders with replaceTop, like the k-way merge.
          const sorted = lists.map((list) => [...list].sort(byNumber));
          const cursors = sorted.map((list, run) => ({ list, run, at: 0 }));
          type Cursor = (typeof cursors)[number];
          const value = (c: Cursor) => c.list[c.at] as number;
          const heap = new BinaryHeap<Cursor>((a, b) => value(a) - value(b) || a.run - b.run);
          for (const cursor of cursors) heap.push(cursor);
          const merged: number[] = [];
          const runsOfEqual: number[] = [];
          while (heap.size > 0) {
            const top = heap.peek() as Cursor;
            merged.push(value(top));
            runsOfEqual.push(top.run);
            top.at++;
            if (top.at === top.list.length) heap.pop();
            else heap.replaceTop(top);
          }
          expect(merged).toEqual(sorted.flat().sort(byNumber));
          // Ties leave by run number: the merge is deterministic although the heap is not stable.
          for (let i = 1; i < merged.length; i++) {
            if (merged[i] === merged[i - 1])
              expect(runsOfEqual[i]).toBeGreaterThanOrEqual(runsOfEqual[i - 1] as number);
          }
        },
      ),
    );
  });

  it('is empty at first', () => {
    const heap = new BinaryHeap(byNumber);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    expect(heap.pushPop(3)).toBe(3);
    expect(heap.size).toBe(0);
  });
});
