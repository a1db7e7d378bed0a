// A binary min-heap over a plain array: the smallest element (by the comparator) is always at index 0, and the
// children of index i are 2i+1 and 2i+2. push and pop cost O(log n) comparisons, peek and size O(1).
//
// The heap is not stable: two elements that compare equal come out in no particular order. Callers that need a
// deterministic order make the comparator total; the k-way merge, for instance, breaks ties between equal lines
// by run number, so equal lines always leave in the order of the runs they came from.
//
// replaceTop and pushPop exist for the merge's hot loop: "take the smallest, put its successor in" is one
// sift-down (about log2 n levels) instead of a pop and a push (two of them).

/** Negative when a sorts before b, positive when after, 0 when either order will do. */
export type Comparator<T> = (a: T, b: T) => number;

export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: Comparator<T>) {}

  get size(): number {
    return this.items.length;
  }

  /** The smallest element, left in place; undefined when the heap is empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(value: T): void {
    this.items.push(value);
    this.siftUp(this.items.length - 1);
  }

  /** Removes and returns the smallest element; undefined when the heap is empty. */
  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /**
   * Removes the smallest element and inserts `value` in one sift-down; returns the removed element. The value
   * may be the top itself after a change that made it larger (the merge advances a run's cursor this way).
   * Throws on an empty heap, where there is no top to replace.
   */
  replaceTop(value: T): T {
    const top = this.items[0];
    if (top === undefined) throw new RangeError('replaceTop on an empty heap');
    this.items[0] = value;
    this.siftDown(0);
    return top;
  }

  /** push(value) then pop(), without the work when `value` would come straight back out. */
  pushPop(value: T): T {
    const top = this.items[0];
    if (top === undefined || this.compare(value, top) <= 0) return value;
    return this.replaceTop(value);
  }

  private siftUp(index: number): void {
    const { items, compare } = this;
    const value = items[index] as T;
    // Move parents down until the hole reaches the value's place: one write per level instead of a swap.
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (compare(value, parent) >= 0) break;
      items[index] = parent;
      index = parentIndex;
    }
    items[index] = value;
  }

  private siftDown(index: number): void {
    const { items, compare } = this;
    const length = items.length;
    const value = items[index] as T;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && compare(items[right] as T, items[child] as T) < 0) child = right;
      if (compare(items[child] as T, value) >= 0) break;
      items[index] = items[child] as T;
      index = child;
    }
    items[index] = value;
  }
}
