// The store's refusals (storage/errors.ts) as the contract's answers: the status, a detail naming the limit and
// the value seen, and the stored version where the caller needs it. One place for every route that changes
// records, public and internal alike.
import { BLOB_VERSION_HEADER as VERSION_HEADER } from '@backend-rebase/blob-contract';
import { HttpProblem } from '@backend-rebase/service-kit';
import type { FastifyReply } from 'fastify';
import {
  ContentMismatchError,
  DiskFullError,
  FatalStorageError,
  FolderFullError,
  IncompleteBodyError,
  PreconditionFailedError,
  QuotaExceededError,
  TombstoneFolderFullError,
  TombstonesFullError,
  VersionConflictError,
  VersionTooFarAheadError,
} from '../storage/errors.js';

/** Turns the store's refusals into the contract's status codes. */
export async function refusalsAsProblems<T>(reply: FastifyReply, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof VersionConflictError) {
      reply.header(VERSION_HEADER, String(error.storedVersion));
      throw new HttpProblem(409, conflictDetail(error), {
        storedVersion: error.storedVersion,
        storedDeleted: error.storedKind === 'tombstone',
      });
    }
    if (error instanceof VersionTooFarAheadError) {
      throw new HttpProblem(
        400,
        `X-Blob-Version ${error.version} is more than 24 hours ahead of this node's clock: at most ${error.limit} (microseconds since the epoch) is accepted now`,
      );
    }
    if (error instanceof QuotaExceededError) {
      throw new HttpProblem(
        507,
        `storing ${error.bytes} bytes would take usage past MAX_DISK_QUOTA: ${error.used} of ${error.limit} bytes are in use or reserved`,
      );
    }
    if (error instanceof FolderFullError) {
      throw new HttpProblem(
        507,
        `the storage folder of this id already holds ${error.limit} files; MAX_BLOBS_IN_FOLDER is ${error.limit}`,
      );
    }
    if (error instanceof DiskFullError) {
      throw new HttpProblem(
        507,
        `the node's disk is full (${error.code}) though MAX_DISK_QUOTA is not reached; nothing was stored`,
      );
    }
    if (error instanceof TombstonesFullError) {
      throw new HttpProblem(
        507,
        `this node holds ${error.limit} tombstones, MAX_TOMBSTONES; a delete of an id it does not hold needs one more, so nothing changed`,
      );
    }
    if (error instanceof TombstoneFolderFullError) {
      throw new HttpProblem(
        507,
        `the tombstone folder of this id already holds ${error.limit} files; MAX_BLOBS_IN_FOLDER is ${error.limit}; nothing changed`,
      );
    }
    if (error instanceof FatalStorageError) {
      throw new HttpProblem(
        503,
        `the node's storage failed (${error.call} ${error.errno}) and it is restarting; the change may not be stored`,
      );
    }
    if (error instanceof PreconditionFailedError) throw new HttpProblem(412, error.reason);
    if (error instanceof ContentMismatchError) {
      throw new HttpProblem(
        400,
        `Content-MD5 does not match the body (received body MD5 ${error.actualMd5}); nothing was stored`,
      );
    }
    if (error instanceof IncompleteBodyError)
      throw new HttpProblem(400, `${error.message}; nothing was stored`);
    throw error;
  }
}

function conflictDetail({ version, kind, storedVersion, storedKind }: VersionConflictError): string {
  const what = (recordKind: 'data' | 'tombstone') => (recordKind === 'data' ? 'a write' : 'a delete');
  if (version === storedVersion) {
    return `X-Blob-Version ${version} is stored already as ${what(storedKind)}, and this is ${what(kind)}; nothing changed`;
  }
  return `X-Blob-Version ${version} is older than the stored version ${storedVersion} (${what(storedKind)}); nothing changed`;
}
