import fc from 'fast-check';
import { BinaryHeap } from '@backend-rebase/data-structures';
import { describe, expect, it } from 'vitest';
import { LoserTree } from '../src/loser-tree.js';

/** Merges sorted lists with the tree; returns [value, input] pairs in the order the tree hands them out. */
function mergeWithTree(inputs: number[][]): [number, number][] {
  const positions = inputs.map(() => 0);
  const current = (input: number) => (inputs[input] as number[])[positions[input] as number] as number;
  const empty = inputs.flatMap((list, input) => (list.length === 0 ? [input] : []));
  const tree = new LoserTree(inputs.length, (a, b) => current(a) - current(b), empty);
  const out: [number, number][] = [];
  for (let input = tree.winner; input !== -1; input = tree.winner) {
    out.push([current(input), input]);
    positions[input]!++;
    if ((positions[input] as number) < (inputs[input] as number[]).length) tree.replay();
    else tree.exhaustWinner();
  }
  return out;
}

/** The merge as it was before the loser tree: a binary heap of cursors, ties broken by input number. */
function mergeWithHeap(inputs: number[][]): [number, number][] {
  const positions = inputs.map(() => 0);
  const current = (input: number) => (inputs[input] as number[])[positions[input] as number] as number;
  const heap = new BinaryHeap<number>((a, b) => current(a) - current(b) || a - b);
  inputs.forEach((list, input) => list.length > 0 && heap.push(input));
  const out: [number, number][] = [];
  for (let input = heap.peek(); input !== undefined; input = heap.peek()) {
    out.push([current(input), input]);
    positions[input]!++;
    if ((positions[input] as number) < (inputs[input] as number[]).length) heap.replaceTop(input);
    else heap.pop();
  }
  return out;
}

/** The reference: every element with its input number, sorted by value, then input (a stable merge's order). */
const reference = (inputs: number[][]) =>
  inputs
    .flatMap((list, input) => list.map((value): [number, number] => [value, input]))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);

// Few distinct values, so that equal elements in different inputs are the rule and ties are tested.
const sortedList = fc
  .array(fc.integer({ min: 0, max: 20 }), { maxLength: 30 })
  .map((list) => list.sort((a, b) => a - b));

describe('LoserTree', () => {
  it('merges sorted inputs like a stable sort of all their elements, ties by input number', () => {
    fc.assert(
      fc.property(fc.array(sortedList, { maxLength: 70 }), (inputs) => {
        expect(mergeWithTree(inputs)).toEqual(reference(inputs));
      }),
      { numRuns: 500 },
    );
  });

  it('hands out the elements in the order the heap merge it replaced did', () => {
    fc.assert(
      fc.property(fc.array(sortedList, { maxLength: 70 }), (inputs) => {
        expect(mergeWithTree(inputs)).toEqual(mergeWithHeap(inputs));
      }),
      { numRuns: 200 },
    );
  });

  it('has no winner with no inputs, or when every input is empty', () => {
    expect(new LoserTree(0, () => 0).winner).toBe(-1);
    expect(new LoserTree(3, () => 0, [0, 1, 2]).winner).toBe(-1);
  });

  it('uses one comparison per level when the winner is replayed', () => {
    let comparisons = 0;
    const heads = Array.from({ length: 64 }, (_, i) => i);
    const tree = new LoserTree(64, (a, b) => {
      comparisons++;
      return (heads[a] as number) - (heads[b] as number);
    });
    expect(tree.winner).toBe(0);
    comparisons = 0;
    heads[0] = 1000;
    tree.replay();
    expect(tree.winner).toBe(1);
    expect(comparisons).toBe(6);
  });
});
