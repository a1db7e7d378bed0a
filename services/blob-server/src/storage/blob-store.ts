// The blob store of one node: records on the local file system (record.ts), an in-memory index of them
// (blob-index.ts), and the rules that keep both right under concurrency, crashes and failing disks.
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
//
// Tombstones live in a tree of their own (DATA_DIR/tombstones/a/3f/), with their own folder counts and a budget
// of `maxTombstones`, so deletes of ids that were never stored can fill neither a blob folder nor the quota: a
// delete that needs a new tombstone where there was no record is refused when the budget is spent; the delete
// of a stored blob never is (the blob it removes was bounded by the quota). A record that changes kind moves
// between the trees crash-safely: the new record is installed and synced before the old one is removed, and if
// a crash leaves both, warm-up keeps the higher version.
//
// A full disk (ENOSPC, EDQUOT) refuses the one write (DiskFullError) and leaves the old version. A failed
// fsync stops the store (durable-files.ts): it reports once to `onFatal`, whose owner is meant to exit, and
// until then refuses every change with the same FatalStorageError, so nothing is acknowledged that may not be
// on disk.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@backend-rebase/logger';
import type { Clock } from '@backend-rebase/service-kit';
import { BlobIndex, type IndexEntry } from './blob-index.js';
import { syncFile, syncFolder } from './durable-files.js';
import { defaultFileIo, type FileIo } from './file-io.js';
import {
  ContentMismatchError,
  DiskFullError,
  FatalStorageError,
  FolderFullError,
  IncompleteBodyError,
  isDiskFull,
  PreconditionFailedError,
  QuotaExceededError,
  TombstoneFolderFullError,
  TombstonesFullError,
} from './errors.js';
import { checkVersionLead, judgeVersion, type RecordKind, type VersionVerdict } from './version-rules.js';
import { FolderCounts } from './folder-counts.js';
import { invalidIdReason } from '@backend-rebase/blob-contract';
import { fileNameOf, folderOf, HASHED, idOfFileName } from './ids.js';
import { KeyedLock } from './keyed-lock.js';
import { OpenRecords, type OpenBlob } from './open-records.js';
import { Quota } from './quota.js';
import {
  CorruptRecordError,
  encodeHeader,
  headerSlotLength,
  readMetadataSync,
  type BlobMetadata,
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
  /** how many tombstones a delete of an id without a record may bring the node to (MAX_TOMBSTONES) */
  maxTombstones: number;
  /** tests move time forward */
  now?: Clock;
  /** the disk calls that change records; tests inject failures */
  io?: FileIo;
  /**
   * Called once when a sync fails (after the store has logged it): the owner should exit, so that a restart
   * rebuilds the index from what is really on disk. Default: nothing more than the log.
   */
  onFatal?: (error: FatalStorageError) => void;
  /** whether `Abc` and `abc` are two files; undefined: probe the file system at start-up */
  caseSensitive?: boolean;
}

type Tree = 'blobs' | 'tombstones';
const treeOf = (entry: { deleted: boolean }): Tree => (entry.deleted ? 'tombstones' : 'blobs');
const isLive = (entry: IndexEntry | undefined): entry is IndexEntry => entry?.deleted === false;
/** The single key of the node-wide tombstone budget. */
const ALL = '';

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
  /** whoever receives the blob releases it (or hands it to the stream of its body, which does) */
  { status: 'blob'; blob: OpenBlob } | { status: 'tombstone'; version: number } | { status: 'absent' };

export class BlobStore {
  private readonly options: BlobStoreOptions;
  private readonly io: FileIo;
  private readonly roots: Record<Tree, string>;
  private readonly tmpDir: string;
  private readonly index = new BlobIndex();
  /** records open for reading, each tied to the index entry it was opened for */
  private readonly openRecords: OpenRecords;
  private readonly quota: Quota;
  private readonly folders: Record<Tree, FolderCounts>;
  /** The node's tombstones, under one key, against maxTombstones. */
  private readonly tombstones: FolderCounts;
  private readonly locks = new KeyedLock();
  /** Ids whose blob-folder slot is held by a write in flight (see write). */
  private readonly slotHolders = new Set<string>();
  /** Leaf folders known to exist, per tree; the others are made by the first record into them. */
  private readonly existingFolders: Record<Tree, Set<string>> = { blobs: new Set(), tombstones: new Set() };
  private readonly now: Clock;
  private caseSensitiveNames = true;
  private lastVersion = 0;
  /** Set by the first failed sync: every change is refused from then on. */
  private failed: FatalStorageError | undefined;
  /** The expiry sweep in progress: a second call joins it rather than running beside it. */
  private expiring: Promise<number> | undefined;

  private constructor(options: BlobStoreOptions) {
    this.options = options;
    this.io = options.io ?? defaultFileIo;
    this.roots = {
      blobs: path.join(options.dataDir, 'blobs'),
      tombstones: path.join(options.dataDir, 'tombstones'),
    };
    this.tmpDir = path.join(options.dataDir, 'tmp');
    this.quota = new Quota(options.quotaBytes);
    this.folders = {
      blobs: new FolderCounts(options.maxBlobsInFolder),
      tombstones: new FolderCounts(options.maxBlobsInFolder),
    };
    this.tombstones = new FolderCounts(options.maxTombstones);
    this.now = options.now ?? Date.now;
    this.openRecords = new OpenRecords((id) => this.recordPath(id, 'blobs'));
  }

  /**
   * Opens the store: removes leftover temp files, then rebuilds usage, folder counts and the index from the
   * records on disk, dropping tombstones past their time (standalone only) and moving corrupt records to
   * DATA_DIR/corrupt/. Resolves when the store can serve.
   */
  static open(options: BlobStoreOptions): Promise<BlobStore> {
    const store = new BlobStore(options);
    store.warmUp();
    return Promise.resolve(store);
  }

  get bytesUsed(): number {
    return this.quota.used;
  }

  get bytesQuota(): number {
    return this.quota.limit;
  }

  get blobCount(): number {
    return this.index.liveBlobs;
  }

  get tombstoneCount(): number {
    return this.tombstones.filesIn(ALL);
  }

  get tombstoneLimit(): number {
    return this.tombstones.limit;
  }

  /** Whether record file names are ids as they are (false: encoded for a case-insensitive file system). */
  get caseSensitive(): boolean {
    return this.caseSensitiveNames;
  }

  /** The sync failure that stopped the store, if one did. */
  get failure(): FatalStorageError | undefined {
    return this.failed;
  }

  /** Every record, tombstones included, a page at a time in id order. */
  list(cursor: string | undefined, limit: number) {
    return this.index.page(cursor, limit);
  }

  /**
   * Opens the live blob for reading, or says it is a tombstone (with its version) or absent. Its metadata and
   * body come from one open file, so a concurrent replacement cannot mix two versions; a blob read often stays
   * open between reads (open-records.ts), so its read is one positioned read and nothing else.
   */
  async read(id: string): Promise<ReadOutcome> {
    const entry = this.index.get(id);
    if (entry === undefined) return { status: 'absent' };
    if (entry.deleted) return { status: 'tombstone', version: entry.version };
    const opened = await this.openRecords.open(id, entry);
    if (opened.kind === 'blob') return { status: 'blob', blob: opened.blob };
    if (opened.kind === 'tombstone') return { status: 'tombstone', version: opened.version };
    // Deleted, purged or expired since the index was read.
    const now = this.index.get(id);
    return now?.deleted ? { status: 'tombstone', version: now.version } : { status: 'absent' };
  }

  /** Closes the records held open for reading (reads still under way close theirs when they end). */
  async close(): Promise<void> {
    await this.openRecords.closeAll();
  }

  /**
   * Stores a blob. The version, preconditions, quota and folder space are checked before the body is read and
   * the version and preconditions again at commit; a refusal is thrown as one of errors.ts.
   */
  async write(request: WriteRequest): Promise<WriteOutcome> {
    return this.guard(() => this.applyWrite(request));
  }

  /**
   * Deletes a blob, leaving a tombstone. An unversioned delete of an id without a record changes nothing, and
   * leaves nothing.
   */
  async delete(request: DeleteRequest): Promise<DeleteOutcome> {
    return this.guard(() => this.locks.run(request.id, () => this.applyDelete(request)));
  }

  /**
   * Removes the record of `id` if it holds exactly `version`, data or tombstone, leaving nothing behind: its
   * quota and its folder slot are free again. Durable once it resolves.
   */
  async purge(id: string, version: number): Promise<PurgeOutcome> {
    return this.guard(() =>
      this.locks.run(id, async () => {
        const current = this.index.get(id);
        if (current === undefined) return { status: 'absent' };
        if (current.version !== version) return { status: 'other', version: current.version };
        await this.remove(id, current);
        return { status: 'purged' };
      }),
    );
  }

  /**
   * Removes tombstones older than the TTL; returns how many. Never in a cluster (no TTL): see the top. A call
   * while a sweep runs joins that sweep, so two never run at once.
   */
  async expireTombstones(): Promise<number> {
    if (this.expiring === undefined) {
      this.expiring = this.guard(() => this.sweepTombstones()).finally(() => {
        this.expiring = undefined;
      });
    }
    return this.expiring;
  }

  /** Runs a change unless the store has stopped, and stops it when the change meets a failed sync. */
  private async guard<T>(change: () => Promise<T>): Promise<T> {
    if (this.failed) throw this.failed;
    try {
      return await change();
    } catch (error) {
      if (error instanceof FatalStorageError) this.fail(error);
      throw error;
    }
  }

  private fail(error: FatalStorageError): void {
    if (this.failed) return;
    this.failed = error;
    this.options.logger.error(
      'a sync failed: the store takes no more changes; restart to rebuild the index',
      {
        call: error.call,
        path: error.path,
        errno: error.errno,
      },
    );
    this.options.onFatal?.(error);
  }

  private async applyWrite(request: WriteRequest): Promise<WriteOutcome> {
    const { id } = request;
    const folder = folderOf(id);
    const current = this.index.get(id);
    const live = isLive(current) ? current : undefined;
    if (this.judge(current, request, 'data') === 'retry') {
      return { status: 'unchanged', entry: current as IndexEntry };
    }
    // A write that will add a file to the blob tree (a new id, or one whose record is a tombstone) holds a slot
    // in its folder; concurrent writers of one such id share the first one's. The commit fills the slot, gives
    // it back (another writer made the blob first), or takes one (the blob, or the writer holding the slot,
    // went away meanwhile).
    const takeSlot = live === undefined && !this.slotHolders.has(id);
    this.reserve(request.chargedBytes, live?.charged ?? 0, takeSlot ? folder : undefined);
    const folderSlot = { held: takeSlot };
    if (takeSlot) this.slotHolders.add(id);

    const temp = path.join(this.tmpDir, randomUUID());
    let committed = false;
    let fd: number | undefined;
    try {
      fd = await this.io.open(temp, 'wx');
      const slot = headerSlotLength({
        id,
        size: request.contentLength,
        headers: request.headers,
        deleted: false,
      });
      request.beforeBody?.();
      const md5 = await receiveBody(this.io, fd, slot, request);
      const opened = fd;
      return await this.locks.run(id, async () => {
        const outcome = await this.commit(opened, temp, slot, request, md5, folder, folderSlot);
        committed = outcome.status !== 'unchanged';
        return outcome;
      });
    } catch (error) {
      if (isDiskFull(error)) throw new DiskFullError(error.code ?? 'ENOSPC');
      throw error;
    } finally {
      if (fd !== undefined) await this.io.close(fd).catch(() => undefined);
      if (folderSlot.held) this.dropSlot(id, folder, false);
      if (!committed) {
        this.quota.release(request.chargedBytes);
        await this.io.remove(temp).catch(() => undefined);
      }
    }
  }

  private async applyDelete(request: DeleteRequest): Promise<DeleteOutcome> {
    const { id } = request;
    const current = this.index.get(id);
    const live = isLive(current) ? current : undefined;
    if (this.judge(current, request, 'tombstone') === 'retry') {
      return { status: 'unchanged', version: (current as IndexEntry).version };
    }
    if (request.version === undefined) {
      if (current === undefined) return { status: 'absent' };
      if (current.deleted) return { status: 'unchanged', version: current.version };
    }

    const folder = folderOf(id);
    // A tombstone replaced by a newer one keeps its slots. A blob's becomes a tombstone whatever the budget:
    // the delete of a stored blob is never refused for room. Only a tombstone for an id without a record is
    // charged against the budget: that is what a flood of deletes of unknown ids makes.
    const newTombstone = current === undefined || live !== undefined;
    if (current === undefined) {
      if (!this.tombstones.tryReserve(ALL)) throw new TombstonesFullError(this.tombstones.limit);
      if (!this.folders.tombstones.tryReserve(folder)) {
        this.tombstones.release(ALL);
        throw new TombstoneFolderFullError(folder, this.folders.tombstones.limit);
      }
    } else if (live) {
      this.tombstones.reserve(ALL);
      this.folders.tombstones.reserve(folder);
    }
    const version = request.version ?? this.nextVersion(current);
    const metadata: BlobMetadata = {
      id,
      size: 0,
      md5: '',
      version,
      modified: this.now(),
      headers: {},
      deleted: true,
    };
    const temp = path.join(this.tmpDir, randomUUID());
    try {
      const fd = await this.io.open(temp, 'wx');
      try {
        await this.io.writeAt(fd, encodeHeader(metadata, headerSlotLength(metadata)), 0);
        await syncFile(this.io, fd, temp, this.options.fsync);
      } finally {
        await this.io.close(fd);
      }
      await this.install(temp, 'tombstones', folder, id);
    } catch (error) {
      if (newTombstone) {
        this.tombstones.release(ALL);
        this.folders.tombstones.release(folder);
      }
      await this.io.remove(temp).catch(() => undefined);
      if (isDiskFull(error)) throw new DiskFullError(error.code ?? 'ENOSPC');
      throw error;
    }
    if (newTombstone) {
      this.tombstones.fill(ALL);
      this.folders.tombstones.fill(folder);
    }
    this.index.set(id, {
      size: 0,
      charged: 0,
      md5: '',
      version,
      modified: metadata.modified,
      deleted: true,
    });
    this.openRecords.forget(id);
    if (live) {
      // The tombstone is durable; the blob it supersedes can go (a crash before this leaves both, and warm-up
      // keeps the tombstone, the higher version).
      await this.removeFile(id, 'blobs', folder);
      this.quota.adjust(-live.charged);
    }
    return { status: 'deleted', version };
  }

  private async sweepTombstones(): Promise<number> {
    const cutoff = this.tombstoneCutoff();
    if (cutoff === undefined) return 0;
    const expired = [...this.index.entries()]
      .filter(([, entry]) => entry.deleted && entry.modified < cutoff)
      .map(([id]) => id);
    let removed = 0;
    for (const id of expired) {
      await this.locks.run(id, async () => {
        const entry = this.index.get(id);
        if (!entry?.deleted || entry.modified >= cutoff) return;
        await this.remove(id, entry);
        removed += 1;
      });
    }
    return removed;
  }

  /**
   * Whether a versioned change must be applied or is a retry (a conflict, a version too far ahead and a failed
   * precondition are thrown). A retry skips the preconditions: it was applied when they held.
   */
  private judge(
    current: IndexEntry | undefined,
    request: { version?: number; precondition?: Precondition },
    kind: RecordKind,
  ): VersionVerdict {
    if (request.version !== undefined) {
      checkVersionLead(request.version, this.now());
      if (judgeVersion(current, request.version, kind) === 'retry') return 'retry';
    }
    const refusal = request.precondition?.(isLive(current) ? current : undefined);
    if (refusal !== undefined) throw new PreconditionFailedError(refusal);
    return 'apply';
  }

  /** Deletes the record of `id` from disk (durably) and from the index, freeing its quota and folder slot. */
  private async remove(id: string, entry: IndexEntry): Promise<void> {
    await this.removeFile(id, treeOf(entry), folderOf(id));
    this.index.delete(id);
    this.openRecords.forget(id);
    this.quota.adjust(-entry.charged);
  }

  /** Removes one record file durably, and its count (the index and quota are the caller's). */
  private async removeFile(id: string, tree: Tree, folder: string): Promise<void> {
    await this.io.remove(this.recordPath(id, tree));
    await syncFolder(this.io, path.join(this.roots[tree], folder), this.options.fsync);
    this.folders[tree].remove(folder);
    if (tree === 'tombstones') this.tombstones.remove(ALL);
  }

  private tombstoneCutoff(): number | undefined {
    const ttl = this.options.tombstoneTtlMs;
    return ttl === undefined ? undefined : this.now() - ttl;
  }

  private reserve(bytes: number, credit: number, newFileIn: string | undefined): void {
    if (!this.quota.tryReserve(bytes, credit)) {
      throw new QuotaExceededError(bytes, this.quota.used + this.quota.reserved, this.quota.limit);
    }
    if (newFileIn !== undefined && !this.folders.blobs.tryReserve(newFileIn)) {
      this.quota.release(bytes);
      throw new FolderFullError(newFileIn, this.folders.blobs.limit);
    }
  }

  private async commit(
    fd: number,
    temp: string,
    slot: number,
    request: WriteRequest,
    md5: string,
    folder: string,
    folderSlot: { held: boolean },
  ): Promise<WriteOutcome> {
    const { id } = request;
    const current = this.index.get(id);
    const live = isLive(current) ? current : undefined;
    // A concurrent change may have landed while the body was arriving.
    if (this.judge(current, request, 'data') === 'retry') {
      return { status: 'unchanged', entry: current as IndexEntry };
    }
    if (live !== undefined && folderSlot.held) {
      this.dropSlot(id, folder, false);
      folderSlot.held = false;
    } else if (live === undefined && !folderSlot.held) {
      if (!this.folders.blobs.tryReserve(folder)) throw new FolderFullError(folder, this.folders.blobs.limit);
      folderSlot.held = true;
      this.slotHolders.add(id);
    }

    const metadata: BlobMetadata = {
      id,
      size: request.contentLength,
      md5,
      version: request.version ?? this.nextVersion(current),
      modified: this.now(),
      headers: request.headers,
      deleted: false,
    };
    await this.io.writeAt(fd, encodeHeader(metadata, slot), 0);
    await syncFile(this.io, fd, temp, this.options.fsync);
    await this.install(temp, 'blobs', folder, id);

    const entry: IndexEntry = {
      size: metadata.size,
      charged: request.chargedBytes,
      md5,
      version: metadata.version,
      modified: metadata.modified,
      deleted: false,
    };
    this.quota.commit(request.chargedBytes, live?.charged ?? 0);
    if (folderSlot.held) {
      this.dropSlot(id, folder, true);
      folderSlot.held = false;
    }
    this.index.set(id, entry);
    this.openRecords.forget(id);
    // The blob is durable; the tombstone it supersedes can go (a crash before this leaves both, and warm-up
    // keeps the blob, the higher version).
    if (current?.deleted) await this.removeFile(id, 'tombstones', folder);
    return { status: live ? 'replaced' : 'created', entry };
  }

  /** A write's folder slot is done with: `filled` by its new file, or given back. */
  private dropSlot(id: string, folder: string, filled: boolean): void {
    if (filled) this.folders.blobs.fill(folder);
    else this.folders.blobs.release(folder);
    this.slotHolders.delete(id);
  }

  /** Renames a finished temp file over the record of `id` in `tree`, durably. */
  private async install(temp: string, tree: Tree, folder: string, id: string): Promise<void> {
    const root = this.roots[tree];
    const target = path.join(root, folder);
    if (!this.existingFolders[tree].has(folder)) {
      // The first record of a folder creates it; the new folder's name must be durable too, or the record
      // could vanish with it after a crash.
      await this.io.makeFolder(target);
      await syncFolder(this.io, path.dirname(target), this.options.fsync);
      await syncFolder(this.io, root, this.options.fsync);
      this.existingFolders[tree].add(folder);
    }
    await this.io.rename(temp, path.join(target, fileNameOf(id, this.caseSensitiveNames)));
    await syncFolder(this.io, target, this.options.fsync);
  }

  /** A version above the stored one, from the clock in microseconds when it is ahead. */
  private nextVersion(current: IndexEntry | undefined): number {
    const fromClock = Math.floor(this.now() * 1000);
    const version = Math.max(fromClock, (current?.version ?? 0) + 1, this.lastVersion + 1);
    this.lastVersion = version;
    return version;
  }

  private recordPath(id: string, tree: Tree): string {
    return path.join(this.roots[tree], folderOf(id), fileNameOf(id, this.caseSensitiveNames));
  }

  /** Synchronous on purpose: see readMetadataSync. */
  private warmUp(): void {
    const { dataDir } = this.options;
    rmSync(this.tmpDir, { recursive: true, force: true });
    for (const folder of [this.tmpDir, this.roots.blobs, this.roots.tombstones]) {
      mkdirSync(folder, { recursive: true });
    }
    // The names of tmp/, blobs/ and tombstones/ must be durable before anything is stored under them.
    this.syncFolderSync(dataDir);
    this.caseSensitiveNames = this.options.caseSensitive ?? probeCaseSensitivity(this.roots.blobs);
    this.options.logger.info('record file names', {
      caseSensitive: this.caseSensitiveNames,
      mode: this.caseSensitiveNames ? 'ids as they are' : 'capitals encoded as ~ and the small letter',
    });
    const scratch = Buffer.allocUnsafe(4096);
    // Tombstones first, so a tombstone found among the blobs (the layout before the trees were split, or a
    // crash in the middle of a move) meets the record it competes with already indexed.
    for (const tree of ['tombstones', 'blobs'] as const) {
      const root = this.roots[tree];
      for (const top of hexFolders(root, 1)) {
        for (const leaf of hexFolders(path.join(root, top), 2)) {
          const folder = `${top}/${leaf}`;
          this.existingFolders[tree].add(folder);
          for (const name of readdirSync(path.join(root, folder))) {
            this.load(tree, folder, name, scratch);
          }
        }
      }
    }
    // Only now that every id has its newest record: an expired tombstone must still hide an older blob that
    // a crash left beside it, and both go.
    const cutoff = this.tombstoneCutoff();
    if (cutoff === undefined) return;
    for (const [id, entry] of [...this.index.entries()]) {
      // Not synced one by one: a removal a crash undoes is only done again at the next start.
      if (entry.deleted && entry.modified < cutoff) this.unload(id, entry, false);
    }
  }

  private load(tree: Tree, folder: string, name: string, scratch: Buffer): void {
    const file = path.join(this.roots[tree], folder, name);
    const named = idOfFileName(name, this.caseSensitiveNames);
    const foreign = () => {
      this.options.logger.warn('ignoring a file that is not a blob record', { file });
      this.folders[tree].add(folder); // it takes room in the folder all the same
    };
    if (
      named === undefined ||
      (named !== HASHED &&
        (invalidIdReason(named, this.options.maxIdLength) !== undefined || folderOf(named) !== folder))
    ) {
      foreign();
      return;
    }
    let metadata: BlobMetadata;
    try {
      metadata = readMetadataSync(file, scratch);
      if (named !== HASHED && metadata.id !== named) {
        throw new CorruptRecordError(file, `it holds the record of ${JSON.stringify(metadata.id)}`);
      }
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error;
      this.moveAside(tree, folder, name, error.message);
      return;
    }
    const id = metadata.id;
    if (
      named === HASHED &&
      (invalidIdReason(id, this.options.maxIdLength) !== undefined ||
        fileNameOf(id, this.caseSensitiveNames) !== name ||
        folderOf(id) !== folder)
    ) {
      foreign();
      return;
    }
    const existing = this.index.get(id);
    if (existing !== undefined) {
      // Both trees hold the id: a crash came between installing a record and removing the one it superseded.
      if (existing.version >= metadata.version) {
        rmSync(file, { force: true });
        this.syncFolderSync(path.dirname(file));
        return;
      }
      this.unload(id, existing);
    }
    let home = tree;
    if (metadata.deleted && tree === 'blobs') {
      // A tombstone of the layout before the trees were split: it moves to its own tree.
      const target = path.join(this.roots.tombstones, folder);
      mkdirSync(target, { recursive: true });
      this.syncFolderSync(path.dirname(target));
      this.syncFolderSync(this.roots.tombstones);
      this.existingFolders.tombstones.add(folder);
      renameSync(file, path.join(target, name));
      this.syncFolderSync(target);
      this.syncFolderSync(path.dirname(file));
      home = 'tombstones';
    }
    const charged = metadata.deleted ? 0 : metadata.size + storedHeaderBytes(metadata.headers);
    this.folders[home].add(folder);
    if (home === 'tombstones') this.tombstones.add(ALL);
    this.quota.adjust(charged);
    this.lastVersion = Math.max(this.lastVersion, metadata.version);
    this.index.set(id, {
      size: metadata.size,
      charged,
      md5: metadata.md5,
      version: metadata.version,
      modified: metadata.modified,
      deleted: metadata.deleted,
    });
  }

  /** Warm-up drops the record of `id` it indexed (a newer one was found, or it expired): file and counts. */
  private unload(id: string, entry: IndexEntry, durably = true): void {
    const tree = treeOf(entry);
    const file = this.recordPath(id, tree);
    rmSync(file, { force: true });
    if (durably) this.syncFolderSync(path.dirname(file));
    this.folders[tree].remove(folderOf(id));
    if (tree === 'tombstones') this.tombstones.remove(ALL);
    this.quota.adjust(-entry.charged);
    this.index.delete(id);
  }

  /**
   * A record warm-up cannot read goes to DATA_DIR/corrupt/, under the same relative path (a unique suffix if a
   * file is there already), so it is neither served nor counted, and an operator can still look at it.
   */
  private moveAside(tree: Tree, folder: string, name: string, reason: string): void {
    const file = path.join(this.roots[tree], folder, name);
    const targetFolder = path.join(this.options.dataDir, 'corrupt', tree, folder);
    mkdirSync(targetFolder, { recursive: true });
    let target = path.join(targetFolder, name);
    if (existsSync(target)) target = `${target}.${randomUUID()}`;
    renameSync(file, target);
    this.options.logger.error('ignoring a corrupt blob record', {
      file,
      movedTo: target,
      reason,
    });
  }

  private syncFolderSync(folder: string): void {
    if (!this.options.fsync) return;
    try {
      this.io.syncFolderNow(folder);
    } catch (error) {
      // At start-up nothing has been acknowledged yet: the start fails, naming the folder.
      throw new FatalStorageError('fsync', folder, error as NodeJS.ErrnoException);
    }
  }
}

/**
 * Whether the file system under `folder` tells `Abc` from `abc`: a probe file is made, its name looked up in
 * the other case, and removed.
 */
export function probeCaseSensitivity(folder: string): boolean {
  // A probe left by a crash in the middle of this is removed first.
  for (const name of readdirSync(folder)) {
    if (/^case-probe-/i.test(name)) rmSync(path.join(folder, name), { force: true });
  }
  const token = createHash('md5').update(randomUUID()).digest('hex').replace(/\d/g, '');
  const probe = path.join(folder, `case-probe-${token}`);
  writeFileSync(probe, '');
  try {
    return !existsSync(path.join(folder, `CASE-PROBE-${token.toUpperCase()}`));
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Name length plus value length of every stored header: the bytes MAX_LENGTH and the quota count. */
export function storedHeaderBytes(headers: Record<string, string>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) bytes += name.length + Buffer.byteLength(value);
  return bytes;
}

/**
 * Streams the body into `fd` from `offset` and returns its MD5. When the disk fills, the error is thrown at
 * once: the answer (507) goes out with the rest of the body unread, and the kit's lingering close reads and
 * drops that rest within its bounds, so the client reads the answer instead of a reset.
 */
async function receiveBody(io: FileIo, fd: number, offset: number, request: WriteRequest): Promise<string> {
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
    await io.writeAt(fd, chunk, offset + received);
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
