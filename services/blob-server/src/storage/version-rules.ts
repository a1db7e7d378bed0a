// How a versioned write or delete of one id relates to the record stored now. Versions are unique per change
// (the load balancer stamps each write and delete once, and a retry carries the same stamp), so:
//   - a higher version is a newer change: apply it;
//   - the same version and the same kind (data, or a delete's tombstone) is that very change again, a retry:
//     it is already applied, and nothing changes;
//   - the same version of the other kind, or a lower version, would overwrite something newer or contradict
//     it: a conflict, which the caller resolves by stamping above the stored version and trying again.
// So an acknowledged change is always the newest one the node holds. And a version the node's clock cannot
// have reached within a day is refused outright: one huge stamp would otherwise leave the id unwritable for
// every correctly stamped write after it.
import { VersionConflictError, VersionTooFarAheadError } from './errors.js';

export type RecordKind = 'data' | 'tombstone';

export interface StoredVersion {
  version: number;
  deleted: boolean;
}

export type VersionVerdict = 'apply' | 'retry';

/** How far ahead of the node's clock a version may be: one day, in microseconds. */
export const MAX_VERSION_LEAD_MICROS = 24 * 3_600 * 1_000_000;

/** The verdict on `version` of `kind` against what is stored; a conflict is thrown (VersionConflictError). */
export function judgeVersion(
  stored: StoredVersion | undefined,
  version: number,
  kind: RecordKind,
): VersionVerdict {
  if (stored === undefined || version > stored.version) return 'apply';
  const storedKind: RecordKind = stored.deleted ? 'tombstone' : 'data';
  if (version === stored.version && kind === storedKind) return 'retry';
  throw new VersionConflictError(version, kind, stored.version, storedKind);
}

/** Throws VersionTooFarAheadError when `version` is more than a day ahead of `nowMs` (milliseconds). */
export function checkVersionLead(version: number, nowMs: number): void {
  const limit = Math.floor(nowMs * 1000) + MAX_VERSION_LEAD_MICROS;
  if (version > limit) throw new VersionTooFarAheadError(version, limit);
}
