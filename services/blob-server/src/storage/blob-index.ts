// What the node holds, in memory: one entry per record on disk (blobs and tombstones), rebuilt from the files
// at warm-up and kept in step by every commit. It answers "is there such a blob" without touching the disk,
// counts live blobs, and pages through every id in byte order for /internal/blobs. Paging is by key (the last
// id seen), so a page boundary never skips or repeats an id that exists throughout, whatever else changes. The
// sorted order of the ids is built once, by the first listing (warm-up fills a plain map, faster than a sorted
// structure), and from then on kept as ids come and go (sorted-ids.ts): a page never sorts the whole index.
import { SortedIds } from './sorted-ids.js';

export interface IndexEntry {
  /** body bytes */
  size: number;
  /** body + stored-header bytes: what the entry costs against the quota (0 for a tombstone) */
  charged: number;
  /** hex MD5 of the body; empty for a tombstone */
  md5: string;
  version: number;
  /** when this node stored the record, milliseconds since the epoch */
  modified: number;
  deleted: boolean;
}

export class BlobIndex {
  private readonly byId = new Map<string, IndexEntry>();
  private liveCount = 0;
  /** undefined until the first listing */
  private sortedIds: SortedIds | undefined;

  get(id: string): IndexEntry | undefined {
    return this.byId.get(id);
  }

  /** The live (not deleted) blob with this id. */
  live(id: string): IndexEntry | undefined {
    const entry = this.byId.get(id);
    return entry && !entry.deleted ? entry : undefined;
  }

  set(id: string, entry: IndexEntry): void {
    const previous = this.byId.get(id);
    if (previous === undefined) this.sortedIds?.add(id);
    this.liveCount += Number(!entry.deleted) - Number(previous !== undefined && !previous.deleted);
    this.byId.set(id, entry);
  }

  delete(id: string): void {
    const previous = this.byId.get(id);
    if (previous === undefined) return;
    this.liveCount -= Number(!previous.deleted);
    this.byId.delete(id);
    this.sortedIds?.delete(id);
  }

  /** Live blobs, tombstones excluded. */
  get liveBlobs(): number {
    return this.liveCount;
  }

  /** Every entry, tombstones included, in no particular order. */
  entries(): IterableIterator<[string, IndexEntry]> {
    return this.byId.entries();
  }

  /** Up to `limit` entries with ids after `cursor`, in byte order; `next` is the cursor of the following page. */
  page(
    cursor: string | undefined,
    limit: number,
  ): { entries: Array<[string, IndexEntry]>; next: string | null } {
    this.sortedIds ??= SortedIds.of(this.byId.keys());
    const { ids, more } = this.sortedIds.page(cursor, limit);
    const entries = ids.map((id): [string, IndexEntry] => [id, this.byId.get(id) as IndexEntry]);
    return { entries, next: more ? (ids.at(-1) ?? null) : null };
  }
}
