// A set of ids kept in byte order as they come and go, so that a page of the listing costs a binary search
// plus the page, never a sort of the whole index (the load balancer's rebalancer pages through every node
// while writes go on). The ids live in sorted chunks of at most `maxChunk` ids: an insert or a removal moves at most
// one chunk's entries, a chunk that grows past the bound is split in two, and one that shrinks to a quarter
// of it is merged into its neighbour when they fit together, so the chunks stay few and full.
// Ids are ASCII, so comparing strings by UTF-16 code units is comparing their bytes.
export class SortedIds {
  /** Non-empty, sorted, and every id of a chunk is below every id of the next one. */
  private readonly chunks: string[][] = [];
  private count = 0;

  /** `maxChunk` is small only in tests, to exercise splits and merges with few ids. */
  constructor(readonly maxChunk = 1024) {}

  /** The set of `ids`, sorted once: several times faster than adding them one by one. */
  static of(ids: Iterable<string>, maxChunk?: number): SortedIds {
    const set = new SortedIds(maxChunk);
    const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const half = Math.max(1, set.maxChunk >>> 1);
    for (let start = 0; start < sorted.length; start += half)
      set.chunks.push(sorted.slice(start, start + half));
    set.count = sorted.length;
    return set;
  }

  get size(): number {
    return this.count;
  }

  /** Adds `id`; false when it was there already. */
  add(id: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([id]);
      this.count = 1;
      return true;
    }
    // Past the last id, the last chunk takes it.
    const at = Math.min(this.chunkFor(id), this.chunks.length - 1);
    const chunk = this.chunks[at] as string[];
    const position = firstAtLeast(chunk, id);
    if (chunk[position] === id) return false;
    chunk.splice(position, 0, id);
    this.count += 1;
    if (chunk.length > this.maxChunk) this.chunks.splice(at + 1, 0, chunk.splice(chunk.length >>> 1));
    return true;
  }

  /** Removes `id`; false when it was not there. */
  delete(id: string): boolean {
    const at = this.chunkFor(id);
    const chunk = this.chunks[at];
    if (chunk === undefined) return false;
    const position = firstAtLeast(chunk, id);
    if (chunk[position] !== id) return false;
    chunk.splice(position, 1);
    this.count -= 1;
    if (chunk.length === 0) {
      this.chunks.splice(at, 1);
    } else if (chunk.length < this.maxChunk / 4) {
      const next = this.chunks[at + 1];
      if (next !== undefined && chunk.length + next.length <= this.maxChunk) {
        chunk.push(...next);
        this.chunks.splice(at + 1, 1);
      }
    }
    return true;
  }

  /** Up to `limit` ids after `cursor` (from the first when undefined), and whether more follow them. */
  page(cursor: string | undefined, limit: number): { ids: string[]; more: boolean } {
    let at = 0;
    let position = 0;
    if (cursor !== undefined) {
      at = this.chunkAfter(cursor);
      const chunk = this.chunks[at];
      position = chunk === undefined ? 0 : firstAbove(chunk, cursor);
    }
    const ids: string[] = [];
    for (; at < this.chunks.length; at += 1, position = 0) {
      const chunk = this.chunks[at] as string[];
      const wanted = limit - ids.length;
      if (wanted <= 0) return { ids, more: position < chunk.length };
      const end = Math.min(chunk.length, position + wanted);
      for (let index = position; index < end; index += 1) ids.push(chunk[index] as string);
      if (end < chunk.length) return { ids, more: true };
    }
    return { ids, more: false };
  }

  /** The index of the first chunk whose last id is at least `id` (the chunk count when there is none). */
  private chunkFor(id: string): number {
    let low = 0;
    let high = this.chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (lastOf(this.chunks[middle] as string[]) < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The index of the first chunk whose last id is above `cursor` (the chunk count when there is none). */
  private chunkAfter(cursor: string): number {
    let low = 0;
    let high = this.chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (lastOf(this.chunks[middle] as string[]) <= cursor) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function lastOf(chunk: string[]): string {
  return chunk[chunk.length - 1] as string;
}

function firstAtLeast(sorted: string[], id: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < id) low = middle + 1;
    else high = middle;
  }
  return low;
}

function firstAbove(sorted: string[], id: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}
