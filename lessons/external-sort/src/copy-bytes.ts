// Copies a line from one place of the arena to another, allocating nothing.
//
// Writing a run or a merge's output copies every line once into a write buffer: millions of copies of about a
// hundred bytes each. A native call per line (copyWithin) costs more than the copy itself; for short lines a
// loop that moves four bytes at a time through a DataView, which the optimizing compiler turns into plain loads
// and stores, is about twice as fast. Long lines still go through copyWithin, whose memmove wins there.
// Buffer#copy is out: on Node 20 it allocates a view per partial copy, and that garbage grows V8's heap.

/** Above this length copyWithin's native memmove is cheaper than the loop. */
const LOOP_MAX_BYTES = 256;

export class ArenaCopier {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(arena: ArrayBufferLike) {
    this.bytes = new Uint8Array(arena);
    this.view = new DataView(arena);
  }

  /** Copies arena[from, from + length) to arena[to, to + length); the two ranges must not overlap. */
  copy(to: number, from: number, length: number): void {
    const { bytes, view } = this;
    if (length > LOOP_MAX_BYTES) {
      bytes.copyWithin(to, from, from + length);
      return;
    }
    let i = 0;
    for (; i + 4 <= length; i += 4) view.setUint32(to + i, view.getUint32(from + i, true), true);
    for (; i < length; i++) bytes[to + i] = bytes[from + i] as number;
  }
}
