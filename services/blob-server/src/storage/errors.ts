// Why the store refused a write or delete, for the HTTP layer to turn into a status code. Each carries the
// numbers a client needs to understand the refusal.
export class QuotaExceededError extends Error {
  constructor(
    readonly bytes: number,
    readonly used: number,
    readonly limit: number,
  ) {
    super(
      `storing ${bytes} bytes would take usage past the quota (${used} of ${limit} bytes in use or reserved)`,
    );
  }
}

export class FolderFullError extends Error {
  constructor(
    readonly folder: string,
    readonly limit: number,
  ) {
    super(`storage folder ${folder} already holds ${limit} files`);
  }
}

export class PreconditionFailedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export class ContentMismatchError extends Error {
  constructor(
    readonly expectedMd5: string,
    readonly actualMd5: string,
  ) {
    super(`the body's MD5 is ${actualMd5}, Content-MD5 says ${expectedMd5}`);
  }
}

export class IncompleteBodyError extends Error {
  constructor(
    readonly received: number,
    readonly expected: number,
  ) {
    super(`the upload ended after ${received} of ${expected} bytes`);
  }
}

/** A versioned change that is older than the stored record, or of the other kind at the same version. */
export class VersionConflictError extends Error {
  constructor(
    readonly version: number,
    readonly kind: 'data' | 'tombstone',
    readonly storedVersion: number,
    readonly storedKind: 'data' | 'tombstone',
  ) {
    super(`version ${version} (${kind}) conflicts with the stored version ${storedVersion} (${storedKind})`);
  }
}

export class VersionTooFarAheadError extends Error {
  constructor(
    readonly version: number,
    /** the highest version accepted now, in microseconds since the epoch */
    readonly limit: number,
  ) {
    super(`version ${version} is more than a day ahead of the node's clock (at most ${limit} now)`);
  }
}

/**
 * The device ran out of space (ENOSPC) or the user's disk quota (EDQUOT) while a record was written, before
 * MAX_DISK_QUOTA was reached. Nothing was stored: the temp file is removed and the old version stays.
 */
export class DiskFullError extends Error {
  constructor(readonly code: string) {
    super(`the disk is full (${code}); nothing was stored`);
  }
}

/** A delete of an id without a record would need a new tombstone, and MAX_TOMBSTONES are stored already. */
export class TombstonesFullError extends Error {
  constructor(readonly limit: number) {
    super(`this node already holds ${limit} tombstones`);
  }
}

/** A tombstone's folder already holds MAX_BLOBS_IN_FOLDER tombstones. */
export class TombstoneFolderFullError extends Error {
  constructor(
    readonly folder: string,
    readonly limit: number,
  ) {
    super(`tombstone folder ${folder} already holds ${limit} files`);
  }
}

/**
 * A sync failed after data was written: what is on disk is unknown (see durable-files.ts). The store stops
 * taking changes and reports it once through its `onFatal`; the process is meant to exit and restart.
 */
export class FatalStorageError extends Error {
  readonly errno: string;
  constructor(
    readonly call: string,
    readonly path: string,
    cause?: NodeJS.ErrnoException,
  ) {
    super(`${call} of ${path} failed: ${cause?.code ?? cause?.message ?? 'unknown error'}`, { cause });
    this.errno = cause?.code ?? 'unknown';
  }
}

/** True for the errors of a device or user quota that is full. */
export function isDiskFull(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
