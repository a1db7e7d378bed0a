// The blob store of one node: records on the local file system (record.ts), an in-memory index of them
// (blob-index.ts), and the rules that keep both right under concurrency and crashes.
//
// A write streams its body into a temp file in DATA_DIR/tmp (the same file system as the records), then,
// holding the id's lock: checks versions and preconditions against what is stored now, writes the header,
// syncs the file, renames it over the old record, syncs the folder, and only then updates the index and
// answers. So an acknowledged write survives a crash, a reader sees the old record or the new one, and a
// failed or aborted upload leaves nothing but a temp file, which the next start-up removes.
//
// Versions order the writes and deletes of one id (version-rules.ts): a newer one is applied, the same one
// again is a retry that changes nothing, anything else is a conflict. They are judged before the body is read
// (so a refused upload is never received) and again at commit, where a concurrent change may have landed.
// Deletes leave tombstones (records without a body) so a late write of an older version cannot bring a deleted
// blob back. A standalone node drops them after `tombstoneTtlMs`; in a cluster the node keeps them until the
// load balancer purges them, since only it knows when every replica holds the delete.
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@backend-rebase/logger';
import { BlobIndex, type IndexEntry } from './blob-index.js';
import { syncFile, syncFolder } from './durable-files.js';
import { closeFile, openFile, writeAt } from './file-io.js';
import {
  ContentMismatchError,
  FolderFullError,
  IncompleteBodyError,
  PreconditionFailedError,
  QuotaExceededError,
} from './errors.js';
import { checkVersionLead, judgeVersion, type RecordKind, type VersionVerdict } from './version-rules.js';
import { FolderCounts } from './folder-counts.js';
import { invalidIdReason } from '@backend-rebase/blob-contract';
import { folderOf } from './ids.js';
import { KeyedLock } from './keyed-lock.js';
import { Quota } from './quota.js';
import {
  CorruptRecordError,
  encodeHeader,
  headerSlotLength,
  readHeader,
  readMetadataSync,
  type BlobMetadata,
  type OpenedRecord,
} from './record.js';

export interface BlobStoreOptions {
  dataDir: string;
  quotaBytes: number;
  maxBlobsInFolder: number;
  /** only ids up to this long are loaded at warm-up; others are foreign files */
  maxIdLength: number;
  fsync: boolean;
  /** how long tombstones are kept; undefined: until purged (in a cluster, the load balancer reclaims them) */
  tombstoneTtlMs?: number;
  logger: Logger;
  /** milliseconds since the epoch; tests move time forward */
  now?: () => number;
}

/** Decides, against the live blob stored now (undefined when there is none), whether a request may proceed. */
export type Precondition = (current: IndexEntry | undefined) => string | undefined;

export interface WriteRequest {
  id: string;
  /** stored headers, lower-cased names */
  headers: Record<string, string>;
  /** body bytes plus stored-header bytes: what the blob will cost against the quota */
  chargedBytes: number;
  contentLength: number;
  body: AsyncIterable<Buffer>;
  /** the writer's version (X-Blob-Version); the store assigns one when absent */
  version?: number;
  precondition?: Precondition;
  /** hex MD5 the body must have (Content-MD5) */
  expectedMd5?: string;
  /** called once every check that needs no body has passed, just before the body is read */
  beforeBody?: () => void;
}

export type WriteOutcome =
  | { status: 'created' | 'replaced'; entry: IndexEntry }
  /** a retry: this very version is stored already, and nothing changed */
  | { status: 'unchanged'; entry: IndexEntry };

export interface DeleteRequest {
  id: string;
  version?: number;
  precondition?: Precondition;
}

export type DeleteOutcome =
  | { status: 'deleted'; version: number }
  /** a retry of a delete, or an unversioned delete of a tombstone: nothing changed */
  | { status: 'unchanged'; version: number }
  /** an unversioned delete of an id the node has never held (or no longer holds): nothing changed */
  | { status: 'absent' };

export type PurgeOutcome =
  | { status: 'purged' }
  | { status: 'absent' }
  /** another version is stored: nothing changed */
  | { status: 'other'; version: number };

export type ReadOutcome =
  { status: 'blob'; blob: OpenBlob } | { status: 'tombstone'; version: number } | { status: 'absent' };

export interface OpenBlob extends OpenedRecord {
  /** open on the record; whoever receives it closes it (or hands it to a stream that does) */
  fd: number;
}

export class BlobStore {
  readonly #options: BlobStoreOptions;
  readonly #blobsDir: string;
  readonly #tmpDir: string;
  readonly #index = new BlobIndex();
  readonly #quota: Quota;
  readonly #folders: FolderCounts;
  readonly #locks = new KeyedLock();
  /** Ids whose folder slot is held by a write in flight (see write). */
  readonly #slotHolders = new Set<string>();
  /** Leaf folders known to exist; the others are made by the first write into them. */
  readonly #existingFolders = new Set<string>();
  readonly #now: () => number;
  #lastVersion = 0;

  private constructor(options: BlobStoreOptions) {
    this.#options = options;
    this.#blobsDir = path.join(options.dataDir, 'blobs');
    this.#tmpDir = path.join(options.dataDir, 'tmp');
    this.#quota = new Quota(options.quotaBytes);
    this.#folders = new FolderCounts(options.maxBlobsInFolder);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens the store: removes leftover temp files, then rebuilds usage, folder counts and the index from the
   * records on disk, dropping tombstones past their time (standalone only). Resolves when the store can serve.
   */
  static async open(options: BlobStoreOptions): Promise<BlobStore> {
    const store = new BlobStore(options);
    await store.#warmUp();
    return store;
  }

  get bytesUsed(): number {
    return this.#quota.used;
  }

  get bytesQuota(): number {
    return this.#quota.limit;
  }

  get blobCount(): number {
    return this.#index.liveBlobs;
  }

  /** Every record, tombstones included, a page at a time in id order. */
  list(cursor: string | undefined, limit: number) {
    return this.#index.page(cursor, limit);
  }

  /**
   * Opens the live blob for reading, or says it is a tombstone (with its version) or absent. The record is read
   * through one open file, so a concurrent replacement cannot mix two versions.
   */
  async read(id: string): Promise<ReadOutcome> {
    const entry = this.#index.get(id);
    if (entry === undefined) return { status: 'absent' };
    if (entry.deleted) return { status: 'tombstone', version: entry.version };
    let fd: number;
    try {
      fd = await openFile(this.#recordPath(id), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // Purged or expired since the index was read.
      const now = this.#index.get(id);
      return now?.deleted ? { status: 'tombstone', version: now.version } : { status: 'absent' };
    }
    try {
      const record = await readHeader(fd, id);
      if (!record.metadata.deleted) return { status: 'blob', blob: { fd, ...record } };
      await closeFile(fd);
      return { status: 'tombstone', version: record.metadata.version };
    } catch (error) {
      await closeFile(fd);
      throw error;
    }
  }

  /**
   * Stores a blob. The version, preconditions, quota and folder space are checked before the body is read and
   * the version and preconditions again at commit; a refusal is thrown as one of errors.ts.
   */
  async write(request: WriteRequest): Promise<WriteOutcome> {
    const { id } = request;
    const folder = folderOf(id);
    const current = this.#index.get(id);
    const live = current?.deleted === false ? current : undefined;
    if (this.#judge(current, request, 'data') === 'retry') {
      return { status: 'unchanged', entry: current as IndexEntry };
    }
    // A write that will add a file holds a slot in its folder; concurrent writers of one new id share the
    // first one's. The commit fills the slot, gives it back (another writer made the file first), or takes one
    // (the file, or the writer holding the slot, went away meanwhile).
    const takeSlot = current === undefined && !this.#slotHolders.has(id);
    this.#reserve(request.chargedBytes, live?.charged ?? 0, takeSlot ? folder : undefined);
    const folderSlot = { held: takeSlot };
    if (takeSlot) this.#slotHolders.add(id);

    const temp = path.join(this.#tmpDir, randomUUID());
    let committed = false;
    let fd: number | undefined;
    try {
      fd = await openFile(temp, 'wx');
      const slot = headerSlotLength({
        id,
        size: request.contentLength,
        headers: request.headers,
        deleted: false,
      });
      request.beforeBody?.();
      const md5 = await receiveBody(fd, slot, request);
      const opened = fd;
      return await this.#locks.run(id, async () => {
        const outcome = await this.#commit(opened, temp, slot, request, md5, folder, folderSlot);
        committed = outcome.status !== 'unchanged';
        return outcome;
      });
    } finally {
      if (fd !== undefined) await closeFile(fd).catch(() => undefined);
      if (folderSlot.held) this.#dropSlot(id, folder, false);
      if (!committed) {
        this.#quota.release(request.chargedBytes);
        await rm(temp, { force: true });
      }
    }
  }

  /**
   * Deletes a blob, leaving a tombstone. An unversioned delete of an id without a record changes nothing, and
   * leaves nothing.
   */
  async delete(request: DeleteRequest): Promise<DeleteOutcome> {
    return this.#locks.run(request.id, async () => {
      const { id } = request;
      const current = this.#index.get(id);
      const live = current?.deleted === false ? current : undefined;
      if (this.#judge(current, request, 'tombstone') === 'retry') {
        return { status: 'unchanged', version: (current as IndexEntry).version };
      }
      if (request.version === undefined) {
        if (current === undefined) return { status: 'absent' };
        if (current.deleted) return { status: 'unchanged', version: current.version };
      }

      const folder = folderOf(id);
      if (current === undefined) this.#reserve(0, 0, folder);
      const version = request.version ?? this.#nextVersion(current);
      const metadata: BlobMetadata = {
        id,
        size: 0,
        md5: '',
        version,
        modified: this.#now(),
        headers: {},
        deleted: true,
      };
      const temp = path.join(this.#tmpDir, randomUUID());
      try {
        const fd = await openFile(temp, 'wx');
        try {
          await writeAt(fd, encodeHeader(metadata, headerSlotLength(metadata)), 0);
          await syncFile(fd, this.#options.fsync);
        } finally {
          await closeFile(fd);
        }
        await this.#install(temp, folder, id);
      } catch (error) {
        if (current === undefined) this.#folders.release(folder);
        await rm(temp, { force: true });
        throw error;
      }
      if (current === undefined) this.#folders.fill(folder);
      if (live) this.#quota.adjust(-live.charged);
      this.#index.set(id, {
        size: 0,
        charged: 0,
        md5: '',
        version,
        modified: metadata.modified,
        deleted: true,
      });
      return { status: 'deleted', version };
    });
  }

  /**
   * Removes the record of `id` if it holds exactly `version`, data or tombstone, leaving nothing behind: its
   * quota and its folder slot are free again. Durable once it resolves.
   */
  async purge(id: string, version: number): Promise<PurgeOutcome> {
    return this.#locks.run(id, async () => {
      const current = this.#index.get(id);
      if (current === undefined) return { status: 'absent' };
      if (current.version !== version) return { status: 'other', version: current.version };
      await this.#remove(id, current);
      return { status: 'purged' };
    });
  }

  /** Removes tombstones older than the TTL; returns how many. Never in a cluster (no TTL): see the top. */
  async expireTombstones(): Promise<number> {
    const cutoff = this.#tombstoneCutoff();
    if (cutoff === undefined) return 0;
    const expired = [...this.#index.entries()]
      .filter(([, entry]) => entry.deleted && entry.modified < cutoff)
      .map(([id]) => id);
    let removed = 0;
    for (const id of expired) {
      await this.#locks.run(id, async () => {
        const entry = this.#index.get(id);
        if (!entry?.deleted || entry.modified >= cutoff) return;
        await this.#remove(id, entry);
        removed += 1;
      });
    }
    return removed;
  }

  /**
   * Whether a versioned change must be applied or is a retry (a conflict, a version too far ahead and a failed
   * precondition are thrown). A retry skips the preconditions: it was applied when they held.
   */
  #judge(
    current: IndexEntry | undefined,
    request: { version?: number; precondition?: Precondition },
    kind: RecordKind,
  ): VersionVerdict {
    if (request.version !== undefined) {
      checkVersionLead(request.version, this.#now());
      if (judgeVersion(current, request.version, kind) === 'retry') return 'retry';
    }
    const refusal = request.precondition?.(current?.deleted === false ? current : undefined);
    if (refusal !== undefined) throw new PreconditionFailedError(refusal);
    return 'apply';
  }

  /** Deletes the record of `id` from disk (durably) and from the index, freeing its quota and folder slot. */
  async #remove(id: string, entry: IndexEntry): Promise<void> {
    const folder = folderOf(id);
    await rm(this.#recordPath(id), { force: true });
    await syncFolder(path.join(this.#blobsDir, folder), this.#options.fsync);
    this.#index.delete(id);
    this.#folders.remove(folder);
    this.#quota.adjust(-entry.charged);
  }

  #tombstoneCutoff(): number | undefined {
    const ttl = this.#options.tombstoneTtlMs;
    return ttl === undefined ? undefined : this.#now() - ttl;
  }

  #reserve(bytes: number, credit: number, newFileIn: string | undefined): void {
    if (!this.#quota.tryReserve(bytes, credit)) {
      throw new QuotaExceededError(bytes, this.#quota.used + this.#quota.reserved, this.#quota.limit);
    }
    if (newFileIn !== undefined && !this.#folders.tryReserve(newFileIn)) {
      this.#quota.release(bytes);
      throw new FolderFullError(newFileIn, this.#folders.limit);
    }
  }

  async #commit(
    fd: number,
    temp: string,
    slot: number,
    request: WriteRequest,
    md5: string,
    folder: string,
    folderSlot: { held: boolean },
  ): Promise<WriteOutcome> {
    const { id } = request;
    const current = this.#index.get(id);
    const live = current?.deleted === false ? current : undefined;
    // A concurrent change may have landed while the body was arriving.
    if (this.#judge(current, request, 'data') === 'retry') {
      return { status: 'unchanged', entry: current as IndexEntry };
    }
    if (current !== undefined && folderSlot.held) {
      this.#dropSlot(id, folder, false);
      folderSlot.held = false;
    } else if (current === undefined && !folderSlot.held) {
      if (!this.#folders.tryReserve(folder)) throw new FolderFullError(folder, this.#folders.limit);
      folderSlot.held = true;
      this.#slotHolders.add(id);
    }

    const metadata: BlobMetadata = {
      id,
      size: request.contentLength,
      md5,
      version: request.version ?? this.#nextVersion(current),
      modified: this.#now(),
      headers: request.headers,
      deleted: false,
    };
    await writeAt(fd, encodeHeader(metadata, slot), 0);
    await syncFile(fd, this.#options.fsync);
    await this.#install(temp, folder, id);

    const entry: IndexEntry = {
      size: metadata.size,
      charged: request.chargedBytes,
      md5,
      version: metadata.version,
      modified: metadata.modified,
      deleted: false,
    };
    this.#quota.commit(request.chargedBytes, live?.charged ?? 0);
    if (folderSlot.held) {
      this.#dropSlot(id, folder, true);
      folderSlot.held = false;
    }
    this.#index.set(id, entry);
    return { status: live ? 'replaced' : 'created', entry };
  }

  /** A write's folder slot is done with: `filled` by its new file, or given back. */
  #dropSlot(id: string, folder: string, filled: boolean): void {
    if (filled) this.#folders.fill(folder);
    else this.#folders.release(folder);
    this.#slotHolders.delete(id);
  }

  /** Renames a finished temp file over the record of `id`, durably. */
  async #install(temp: string, folder: string, id: string): Promise<void> {
    const target = path.join(this.#blobsDir, folder);
    if (!this.#existingFolders.has(folder)) {
      // The first record of a folder creates it; the new folder's name must be durable too, or the record
      // could vanish with it after a crash.
      await mkdir(target, { recursive: true });
      await syncFolder(path.dirname(target), this.#options.fsync);
      await syncFolder(this.#blobsDir, this.#options.fsync);
      this.#existingFolders.add(folder);
    }
    await rename(temp, path.join(target, id));
    await syncFolder(target, this.#options.fsync);
  }

  /** A version above the stored one, from the clock in microseconds when it is ahead. */
  #nextVersion(current: IndexEntry | undefined): number {
    const fromClock = Math.floor(this.#now() * 1000);
    const version = Math.max(fromClock, (current?.version ?? 0) + 1, this.#lastVersion + 1);
    this.#lastVersion = version;
    return version;
  }

  #recordPath(id: string): string {
    return path.join(this.#blobsDir, folderOf(id), id);
  }

  /** Synchronous on purpose: see readMetadataSync. */
  async #warmUp(): Promise<void> {
    await rm(this.#tmpDir, { recursive: true, force: true });
    await mkdir(this.#tmpDir, { recursive: true });
    await mkdir(this.#blobsDir, { recursive: true });
    const cutoff = this.#tombstoneCutoff();
    const scratch = Buffer.allocUnsafe(4096);
    for (const top of hexFolders(this.#blobsDir, 1)) {
      for (const leaf of hexFolders(path.join(this.#blobsDir, top), 2)) {
        const folder = `${top}/${leaf}`;
        this.#existingFolders.add(folder);
        const names = readdirSync(path.join(this.#blobsDir, folder));
        this.#folders.add(folder, names.length);
        for (const name of names) this.#load(folder, name, cutoff, scratch);
      }
    }
  }

  #load(folder: string, name: string, tombstoneCutoff: number | undefined, scratch: Buffer): void {
    const file = path.join(this.#blobsDir, folder, name);
    if (invalidIdReason(name, this.#options.maxIdLength) !== undefined || folderOf(name) !== folder) {
      this.#options.logger.warn('ignoring a file that is not a blob record', { file });
      return;
    }
    let metadata: BlobMetadata;
    try {
      metadata = readMetadataSync(file, scratch);
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error;
      this.#options.logger.error('ignoring a corrupt blob record', { file, reason: error.message });
      return;
    }
    if (metadata.deleted && tombstoneCutoff !== undefined && metadata.modified < tombstoneCutoff) {
      rmSync(file, { force: true });
      this.#folders.remove(folder);
      return;
    }
    const charged = metadata.deleted ? 0 : metadata.size + storedHeaderBytes(metadata.headers);
    this.#quota.adjust(charged);
    this.#lastVersion = Math.max(this.#lastVersion, metadata.version);
    this.#index.set(name, {
      size: metadata.size,
      charged,
      md5: metadata.md5,
      version: metadata.version,
      modified: metadata.modified,
      deleted: metadata.deleted,
    });
  }
}

/** Name length plus value length of every stored header: the bytes MAX_LENGTH and the quota count. */
export function storedHeaderBytes(headers: Record<string, string>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) bytes += name.length + Buffer.byteLength(value);
  return bytes;
}

async function receiveBody(fd: number, offset: number, request: WriteRequest): Promise<string> {
  const hash = createHash('md5');
  let received = 0;
  const chunks = request.body[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Buffer>;
    try {
      next = await chunks.next();
    } catch {
      // The client went away (the request stream errors with "aborted"): a short upload, not a server fault.
      throw new IncompleteBodyError(received, request.contentLength);
    }
    if (next.done) break;
    const chunk = next.value;
    if (received + chunk.length > request.contentLength) {
      throw new IncompleteBodyError(received + chunk.length, request.contentLength);
    }
    hash.update(chunk);
    await writeAt(fd, chunk, offset + received);
    received += chunk.length;
  }
  if (received !== request.contentLength) throw new IncompleteBodyError(received, request.contentLength);
  const md5 = hash.digest('hex');
  if (request.expectedMd5 !== undefined && request.expectedMd5 !== md5) {
    throw new ContentMismatchError(request.expectedMd5, md5);
  }
  return md5;
}

function hexFolders(parent: string, digits: number): string[] {
  const name = new RegExp(`^[0-9a-f]{${digits}}$`);
  return readdirSync(parent, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && name.test(entry.name))
    .map((entry) => entry.name);
}
