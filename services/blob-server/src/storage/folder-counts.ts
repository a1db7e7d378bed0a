// How many record files each storage folder holds, so that no folder passes MAX_BLOBS_IN_FOLDER even under
// concurrent uploads of new ids: a write that will add a file reserves a slot before its body is read.
// The store keeps one for blobs and one for tombstones (each tree has its own folders), and uses one with a
// single key for the node's tombstone budget (MAX_TOMBSTONES).
export class FolderCounts {
  private readonly files = new Map<string, number>();
  private readonly pending = new Map<string, number>();

  constructor(readonly limit: number) {}

  filesIn(folder: string): number {
    return this.files.get(folder) ?? 0;
  }

  tryReserve(folder: string): boolean {
    const pending = this.pending.get(folder) ?? 0;
    if (this.filesIn(folder) + pending >= this.limit) return false;
    this.pending.set(folder, pending + 1);
    return true;
  }

  /** Reserves a slot whatever the limit: for a file that replaces one elsewhere (a blob becoming a tombstone). */
  reserve(folder: string): void {
    this.pending.set(folder, (this.pending.get(folder) ?? 0) + 1);
  }

  release(folder: string): void {
    const pending = (this.pending.get(folder) ?? 0) - 1;
    if (pending > 0) this.pending.set(folder, pending);
    else this.pending.delete(folder);
  }

  /** A reserved slot now holds a file. */
  fill(folder: string): void {
    this.release(folder);
    this.add(folder);
  }

  add(folder: string, files = 1): void {
    this.files.set(folder, this.filesIn(folder) + files);
  }

  remove(folder: string): void {
    const files = this.filesIn(folder) - 1;
    if (files > 0) this.files.set(folder, files);
    else this.files.delete(folder);
  }
}
