// A consistent-hash ring in the ketama layout (docs/load-balancer.md).
//
// What it guarantees:
// - Placement is a pure function of (the set of node names, points per node): the same names give the same
//   owners for every key, whatever order they were added in, on every machine. The golden table
//   src/testing/ring-ketama.json pins it down.
// - Each node owns `pointsPerNode` points: for i in 0..pointsPerNode/4-1, md5("<name>-<i>") read as four
//   little-endian uint32 values. Hashing the *name*, not the address, means a node that moves keeps its keys.
// - A key sits at the first four bytes of md5(key) as a little-endian uint32, and its owners are the first
//   `count` distinct nodes met clockwise from the first point at or after that position (wrapping past 2^32 - 1).
//   Equal points are ordered by node name, so even a collision cannot make placement depend on history.
// - Adding a node moves only the keys the new node takes; removing one moves only the keys it owned.
// - A lookup is a binary search over a sorted Uint32Array: O(log points), no allocation for the first owner.
//
// The ring is immutable: a membership change builds a new one (`withNode`, `withoutNode`), which is cheap
// (160 MD5s and one sort of a typed array per node) and lets readers keep using the old ring meanwhile.
//
// Positions are only ever 32-bit integers read from bytes. Turning the whole 128-bit digest into a JavaScript
// number would round it to 53 bits of precision and put most keys near the same spot.
import { hash as oneShotHash } from 'node:crypto';

/** The ketama default; the load balancer's RING_POINTS_PER_NODE. */
const DEFAULT_POINTS_PER_NODE = 160;

/** Node indexes are stored in a Uint16Array next to the points. */
const MAX_NODES = 0x1_0000;

/**
 * The position of a key on the ring: the first four bytes of md5(key), little-endian. Read from the hex digest:
 * asking Node for a Buffer allocates one per call, and the hex string is several times faster here. The first
 * 8 hex digits are bytes 0..3 big-endian; the swap makes them little-endian. Only 32 bits are ever turned into a number.
 */
export function ringPosition(key: string): number {
  const bigEndian = parseInt(oneShotHash('md5', key, 'hex').slice(0, 8), 16);
  return (
    (((bigEndian & 0xff) << 24) |
      ((bigEndian & 0xff00) << 8) |
      ((bigEndian >>> 8) & 0xff00) |
      (bigEndian >>> 24)) >>>
    0
  );
}

/** A node's share of the ring. */
export interface RingShare {
  name: string;
  /** points the node holds (pointsPerNode) */
  points: number;
  /** the fraction of the 2^32 positions whose first owner is this node, 0..1 */
  share: number;
}

export class HashRing {
  /** node names, sorted; a node's index in this array is what `owners` stores */
  private readonly names: readonly string[];
  /** every point of every node, ascending; equal points ordered by node name (= node index) */
  private readonly points: Uint32Array;
  /** owners[i] is the index (into names) of the node that holds points[i] */
  private readonly owners: Uint16Array;

  constructor(
    names: Iterable<string>,
    readonly pointsPerNode: number = DEFAULT_POINTS_PER_NODE,
  ) {
    if (!Number.isInteger(pointsPerNode) || pointsPerNode < 4 || pointsPerNode % 4 !== 0) {
      throw new RangeError(`pointsPerNode must be a positive multiple of 4, got ${pointsPerNode}`);
    }
    // Sorted with a plain code-unit comparison (not localeCompare), so the order is the same everywhere.
    this.names = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (this.names.length > MAX_NODES) throw new RangeError(`a ring holds at most ${MAX_NODES} nodes`);

    // Each entry packs (point, node index) into one float64: point * 2^16 + index < 2^48, so it is exact, and a
    // numeric sort of the packed values sorts by point and then by node index, that is by node name.
    const packed = new Float64Array(this.names.length * pointsPerNode);
    let at = 0;
    this.names.forEach((name, index) => {
      for (let i = 0; i < pointsPerNode / 4; i += 1) {
        const digest = oneShotHash('md5', `${name}-${i}`, 'buffer');
        for (let word = 0; word < 4; word += 1) {
          packed[at++] = digest.readUInt32LE(word * 4) * MAX_NODES + index;
        }
      }
    });
    packed.sort();
    this.points = new Uint32Array(packed.length);
    this.owners = new Uint16Array(packed.length);
    for (let i = 0; i < packed.length; i += 1) {
      const value = packed[i] as number;
      this.points[i] = Math.floor(value / MAX_NODES);
      this.owners[i] = value % MAX_NODES;
    }
  }

  /** The node names on the ring, sorted. */
  get nodes(): readonly string[] {
    return this.names;
  }

  get size(): number {
    return this.names.length;
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  /** A new ring with `name` added (this one when it is already there). */
  withNode(name: string): HashRing {
    return this.has(name) ? this : new HashRing([...this.names, name], this.pointsPerNode);
  }

  /** A new ring without `name` (this one when it is not there). */
  withoutNode(name: string): HashRing {
    return this.has(name)
      ? new HashRing(
          this.names.filter((n) => n !== name),
          this.pointsPerNode,
        )
      : this;
  }

  /** The first owner of `key`; undefined on an empty ring. */
  ownerOf(key: string): string | undefined {
    return this.ownerAt(ringPosition(key));
  }

  /** The first owner of a ring position; undefined on an empty ring. */
  ownerAt(position: number): string | undefined {
    if (this.points.length === 0) return undefined;
    return this.names[this.owners[this.firstPointAtOrAfter(position)] as number];
  }

  /** The first `count` distinct nodes clockwise from the key's position (fewer when the ring has fewer). */
  ownersOf(key: string, count: number): string[] {
    return this.ownersAt(ringPosition(key), count);
  }

  /** Every node, in the order met clockwise from `position`; the first `count` are the owners. */
  ownersAt(position: number, count: number = this.names.length): string[] {
    const wanted = Math.min(count, this.names.length);
    const found: string[] = [];
    if (wanted <= 0) return found;
    const seen = new Uint8Array(this.names.length);
    const total = this.points.length;
    const start = this.firstPointAtOrAfter(position);
    for (let step = 0; step < total && found.length < wanted; step += 1) {
      const index = this.owners[(start + step) % total] as number;
      if (seen[index] === 0) {
        seen[index] = 1;
        found.push(this.names[index] as string);
      }
    }
    return found;
  }

  /** Each node's point count and share of the hash space (the arcs ending at its points). */
  shares(): RingShare[] {
    const space = new Float64Array(this.names.length);
    const total = this.points.length;
    for (let i = 0; i < total; i += 1) {
      // The arc (previous point, this point] is owned by this point's node; the first point also owns the
      // wrap-around arc past the last point.
      const previous =
        i === 0 ? (this.points[total - 1] as number) - 2 ** 32 : (this.points[i - 1] as number);
      const index = this.owners[i] as number;
      space[index] = (space[index] as number) + ((this.points[i] as number) - previous);
    }
    return this.names.map((name, index) => ({
      name,
      points: this.pointsPerNode,
      share: (space[index] as number) / 2 ** 32,
    }));
  }

  /** Index of the first point >= position, wrapping to 0 past the last point. The ring must not be empty. */
  private firstPointAtOrAfter(position: number): number {
    const points = this.points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((points[middle] as number) < position) low = middle + 1;
      else high = middle;
    }
    return low === points.length ? 0 : low;
  }
}
