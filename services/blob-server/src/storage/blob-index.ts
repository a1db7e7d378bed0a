// What the node holds, in memory: one entry per record on disk (blobs and tombstones), rebuilt from the files
// at warm-up and kept in step by every commit. It answers "is there such a blob" without touching the disk,
// counts live blobs, and pages through every id in byte order for /internal/blobs. Paging is by key (the last
// id seen), so a page boundary never skips or repeats an id that exists throughout, whatever else changes.
export interface IndexEntry {
  /** body bytes */
  size: number;
  /** body + stored-header bytes: what the entry costs against the quota (0 for a tombstone) */
  charged: number;
  /** hex MD5 of the body; empty for a tombstone */
  md5: string;
  version: number;
  modified: number;
  deleted: boolean;
}

export class BlobIndex {
  readonly #entries = new Map<string, IndexEntry>();
  #liveBlobs = 0;
  /** All ids in sorted order, rebuilt on the next listing after an id was added or removed. */
  #sortedIds: string[] | undefined = [];

  get(id: string): IndexEntry | undefined {
    return this.#entries.get(id);
  }

  /** The live (not deleted) blob with this id. */
  live(id: string): IndexEntry | undefined {
    const entry = this.#entries.get(id);
    return entry && !entry.deleted ? entry : undefined;
  }

  set(id: string, entry: IndexEntry): void {
    const previous = this.#entries.get(id);
    if (previous === undefined) this.#sortedIds = undefined;
    this.#liveBlobs += Number(!entry.deleted) - Number(previous !== undefined && !previous.deleted);
    this.#entries.set(id, entry);
  }

  delete(id: string): void {
    const previous = this.#entries.get(id);
    if (previous === undefined) return;
    this.#liveBlobs -= Number(!previous.deleted);
    this.#entries.delete(id);
    this.#sortedIds = undefined;
  }

  /** Live blobs, tombstones excluded. */
  get liveBlobs(): number {
    return this.#liveBlobs;
  }

  /** Every entry, tombstones included, in no particular order. */
  entries(): IterableIterator<[string, IndexEntry]> {
    return this.#entries.entries();
  }

  /** Up to `limit` entries with ids after `cursor`, in byte order; `next` is the cursor of the following page. */
  page(
    cursor: string | undefined,
    limit: number,
  ): { entries: Array<[string, IndexEntry]>; next: string | null } {
    this.#sortedIds ??= [...this.#entries.keys()].sort(byBytes);
    const ids = this.#sortedIds;
    const start = cursor === undefined ? 0 : firstAfter(ids, cursor);
    const pageIds = ids.slice(start, start + limit);
    const entries = pageIds.map((id): [string, IndexEntry] => [id, this.#entries.get(id) as IndexEntry]);
    const last = pageIds.at(-1);
    return { entries, next: start + limit < ids.length && last !== undefined ? last : null };
  }
}

// Ids are ASCII, so UTF-16 code unit order is byte order.
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function firstAfter(sorted: string[], cursor: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) <= cursor) low = middle + 1;
    else high = middle;
  }
  return low;
}
