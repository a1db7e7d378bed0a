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
