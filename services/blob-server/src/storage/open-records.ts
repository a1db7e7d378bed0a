// Record files kept open for reading, so that a read of a blob read often costs one positioned read: no open,
// no close, no header to read and parse again.
//
// What it guarantees:
// - One version whole. A cached file belongs to one index entry (the object the index held for the id when
//   it was opened) and carries the metadata of its own header, so the headers, ETag and body a reader gets come
//   from the one file its descriptor names. Records are never changed in place, only replaced by a rename, so an
//   open descriptor keeps reading the version it opened whatever happens to the path; once the index holds
//   another entry for the id (a write, a delete, a purge) the cached file is no longer used.
// - Descriptors are given back. A file is closed when the index moves on from its entry, when the cache is full
//   (the least recently used goes), when no read used it for an idle sweep or two, and when the store closes,
//   each time only once the last read holding it lets go. So at rest no record stays open (a deleted blob's
//   space is freed, and the tests of hostile clients find no file held), and under load each hot blob is opened
//   once.
import { read, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { IndexEntry } from './blob-index.js';
import { closeFile, openFile, readAt } from './file-io.js';
import { readBuffer } from './read-buffers.js';
import { readHeader, type BlobMetadata, type OpenedRecord } from './record.js';

/**
 * Bytes per read when a body is streamed, and the longest body or range read whole with one positioned read.
 * 256 KiB reads cost a third less CPU per 1 MiB GET, but after the stack's hostile-clients test (stalled readers
 * of a 40 MiB blob) a node held 34 MiB above its starting RSS with them, 4 MiB with 64 KiB reads. The likely
 * reason is glibc's allocator: chunks that large are mapped, and once one is freed the mapping threshold rises and
 * later ones stay in the heap after they are freed.
 */
export const READ_CHUNK_BYTES = 64 * 1024;
/** Descriptors the cache may hold; far below any process limit, far above the blobs hot at one moment. */
const MAX_OPEN_RECORDS = 1024;
/** A cached file that no read used between two sweeps is closed. */
const IDLE_SWEEP_MS = 1_000;
const NO_BYTES = Buffer.alloc(0);
/** The longest read of a cached record made on the event loop's thread (see readBody). */
const INLINE_READ_BYTES = 64 * 1024;

/** A blob open for reading: its metadata, and its body read or streamed from the same open file. */
export interface OpenBlob {
  readonly metadata: BlobMetadata;
  /** Body bytes `start` to `end` (inclusive), with at most one positioned read into a pooled buffer. */
  readBody(start: number, end: number): Promise<Buffer>;
  /** Body bytes `start` to `end` (inclusive) as a stream of READ_CHUNK_BYTES reads; it releases the blob. */
  streamBody(start: number, end: number): Readable;
  /** Done with it (idempotent); a stream from streamBody does this itself when it closes. */
  release(): void;
}

export type OpenOutcome =
  | { kind: 'blob'; blob: OpenBlob }
  /** the path holds a tombstone's record (the layout before the trees were split) */
  | { kind: 'tombstone'; version: number }
  /** no file at the path: deleted, purged or expired since the index was read */
  | { kind: 'gone' };

class RecordFile {
  refs = 0;
  /** read since the last idle sweep */
  used = true;
  /** out of the cache: closed when the last read lets go */
  retired = false;

  constructor(
    readonly fd: number,
    readonly entry: IndexEntry,
    readonly metadata: BlobMetadata,
    readonly bodyOffset: number,
  ) {}
}

class Lease implements OpenBlob {
  private released = false;

  constructor(
    private readonly file: RecordFile,
    private readonly owner: OpenRecords,
    /** body bytes that came with the header when the file was opened for this read */
    private readonly bodyStart: Buffer,
  ) {}

  get metadata(): BlobMetadata {
    return this.file.metadata;
  }

  async readBody(start: number, end: number): Promise<Buffer> {
    if (end < this.bodyStart.length) return this.bodyStart.subarray(start, end + 1);
    const length = end - start + 1;
    const buffer = readBuffer(length);
    const position = this.file.bodyOffset + start;
    // A record read in the last second or two is in the page cache: a short read of it costs a few
    // microseconds on this thread, where a thread-pool round trip costs several times that here plus two
    // wake-ups. A record just opened, or a long read, goes to the thread pool.
    const inline = this.bodyStart === NO_BYTES && length <= INLINE_READ_BYTES;
    let filled = 0;
    while (filled < length) {
      const rest = buffer.subarray(filled);
      const bytes = inline
        ? readSync(this.file.fd, rest, 0, rest.length, position + filled)
        : await readAt(this.file.fd, rest, position + filled);
      if (bytes === 0) {
        throw new Error(`the record of ${this.file.metadata.id} ends before the body its header declares`);
      }
      filled += bytes;
    }
    return buffer;
  }

  streamBody(start: number, end: number): Readable {
    const { fd, bodyOffset } = this.file;
    return new BodyStream(fd, bodyOffset + start, bodyOffset + end + 1, () => this.release());
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.release(this.file);
  }
}

/**
 * File bytes `from` to `to` (exclusive) of a descriptor it does not own, READ_CHUNK_BYTES at a time. Unlike
 * fs.ReadStream, which closes its descriptor when destroyed whatever autoClose says, it never closes it: it calls
 * `done` once it has ended or been destroyed and no read of it is still under way, and only then may the
 * descriptor be closed (a read still running on a closed number could land on a file opened since).
 */
class BodyStream extends Readable {
  private position: number;
  private reading = false;
  private afterRead: (() => void) | undefined;

  constructor(
    private readonly fd: number,
    from: number,
    private readonly to: number,
    private readonly done: () => void,
  ) {
    super({ highWaterMark: READ_CHUNK_BYTES });
    this.position = from;
  }

  override _read(): void {
    const length = Math.min(READ_CHUNK_BYTES, this.to - this.position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafeSlow(length);
    this.reading = true;
    read(this.fd, buffer, 0, length, this.position, (error, bytes) => {
      this.reading = false;
      if (this.afterRead !== undefined) {
        this.afterRead();
        return;
      }
      if (error) {
        this.destroy(error);
        return;
      }
      if (bytes === 0) {
        this.destroy(new Error('the record ends before the body its header declares'));
        return;
      }
      this.position += bytes;
      this.push(bytes < length ? buffer.subarray(0, bytes) : buffer);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const finish = () => {
      this.done();
      callback(error);
    };
    if (this.reading) this.afterRead = finish;
    else finish();
  }
}

export class OpenRecords {
  /** id → its open record, least recently used first (a Map keeps insertion order) */
  private readonly files = new Map<string, RecordFile>();
  private readonly closing = new Set<Promise<void>>();
  private sweeper: NodeJS.Timeout | undefined;
  private shut = false;

  constructor(private readonly pathOf: (id: string) => string) {}

  /** The record of `id` for a reader; `entry` is the index's entry for it now (a live blob). */
  async open(id: string, entry: IndexEntry): Promise<OpenOutcome> {
    const cached = this.files.get(id);
    if (cached !== undefined) {
      if (cached.entry === entry) {
        // Most recently used goes last.
        this.files.delete(id);
        this.files.set(id, cached);
        cached.refs += 1;
        cached.used = true;
        return { kind: 'blob', blob: new Lease(cached, this, NO_BYTES) };
      }
      this.forget(id);
    }

    let fd: number;
    try {
      fd = await openFile(this.pathOf(id), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
      throw error;
    }
    let record: OpenedRecord;
    try {
      record = await readHeader(fd, id);
    } catch (error) {
      await closeFile(fd);
      throw error;
    }
    const { metadata, bodyOffset, bodyStart } = record;
    if (metadata.deleted) {
      await closeFile(fd);
      return { kind: 'tombstone', version: metadata.version };
    }
    const file = new RecordFile(fd, entry, metadata, bodyOffset);
    file.refs = 1;
    // Another reader may have cached the same record meanwhile, or the index moved on: this file then serves
    // only this read.
    if (this.shut || this.files.has(id)) file.retired = true;
    else this.keep(id, file);
    return { kind: 'blob', blob: new Lease(file, this, bodyStart) };
  }

  /** The index moved on from the entry of `id`'s cached file (or may have): it is no longer used. */
  forget(id: string): void {
    const file = this.files.get(id);
    if (file === undefined) return;
    this.files.delete(id);
    this.retire(file);
  }

  release(file: RecordFile): void {
    file.refs -= 1;
    if (file.refs === 0 && file.retired) this.close(file);
  }

  /** Closes every cached file (those still being read, when their reads end); resolves once they are closed. */
  async closeAll(): Promise<void> {
    this.shut = true;
    for (const id of [...this.files.keys()]) this.forget(id);
    await Promise.all(this.closing);
  }

  /** How many records are open for reading now (tests). */
  get size(): number {
    return this.files.size;
  }

  private keep(id: string, file: RecordFile): void {
    this.files.set(id, file);
    if (this.files.size > MAX_OPEN_RECORDS) {
      const oldest = this.files.keys().next().value as string;
      this.forget(oldest);
    }
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), IDLE_SWEEP_MS);
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    for (const [id, file] of this.files) {
      if (!file.used && file.refs === 0) this.forget(id);
      else file.used = false;
    }
    if (this.files.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private retire(file: RecordFile): void {
    file.retired = true;
    if (file.refs === 0) this.close(file);
  }

  private close(file: RecordFile): void {
    const closed = closeFile(file.fd)
      // A close that fails leaves nothing to do: the descriptor is gone either way.
      .catch(() => undefined)
      .finally(() => this.closing.delete(closed));
    this.closing.add(closed);
  }
}
