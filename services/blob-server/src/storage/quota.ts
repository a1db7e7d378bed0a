// The disk quota under concurrency. A write reserves its size before its body is read, so parallel uploads
// can never together take usage past the limit; a write that fails or is abandoned releases its reservation,
// and one that commits turns it into usage. A replacement is admitted as if the old version's bytes were
// already free, but keeps its whole size reserved until it commits: concurrent writers can only be refused
// earlier than strictly necessary, never let past the limit.
//
// Bytes are what a user can add up: body bytes plus stored-header bytes, the measure MAX_LENGTH uses.
export class Quota {
  private usedTotal = 0;
  private reservedTotal = 0;

  constructor(readonly limit: number) {}

  /** Bytes of committed blobs. */
  get used(): number {
    return this.usedTotal;
  }

  /** Bytes held by writes in flight. */
  get reserved(): number {
    return this.reservedTotal;
  }

  /** Reserves `bytes` for a write that replaces `credit` bytes; false when usage could pass the limit. */
  tryReserve(bytes: number, credit: number): boolean {
    if (this.usedTotal + this.reservedTotal - credit + bytes > this.limit) return false;
    this.reservedTotal += bytes;
    return true;
  }

  release(reservedBytes: number): void {
    this.reservedTotal -= reservedBytes;
  }

  /** A reserved write committed: its reservation becomes usage and the version it replaced is freed. */
  commit(reservedBytes: number, replacedBytes: number): void {
    this.reservedTotal -= reservedBytes;
    this.usedTotal += reservedBytes - replacedBytes;
  }

  /** Bytes found on disk at warm-up (positive) or freed by a delete (negative). */
  adjust(bytes: number): void {
    this.usedTotal += bytes;
  }
}
