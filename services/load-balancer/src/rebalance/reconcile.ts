// What the rebalancer does about one id, decided from the copies the nodes hold: a pure function, so every rule
// that keeps a blob from being lost or a delete from being undone is stated and tested in one place.
//
// - The newest copy wins: the highest version, and at the same version a tombstone beats data ("deletes win ties").
// - Every healthy owner that lacks the newest copy gets it. One holding data at the very version of a newer
//   tombstone cannot be overwritten (the node refuses the other kind at an equal version), so that stale copy is
//   purged first and the tombstone then written.
// - A copy on a node that is not an owner (a stand-in's handoff, a copy left behind by a join or a drain) is purged
//   only after every owner is healthy and confirmed, by asking it, to hold a copy at least as new as that one
//   (confirmedPurges). A fault between the copy and the purge therefore leaves an extra copy, never a missing one.
// - A tombstone is reclaimed (purged from the owners) only when every owner holds it, no other node holds any copy
//   of the id, every owner stored it more than TOMBSTONE_TTL ago, and the caller saw every node's listing whole.
// - Under-replicated: fewer than R nodes hold the newest copy. Those ids are repaired before anything else.

/** One node's record of an id, as its listing (or a HEAD) describes it. */
export interface Copy {
  version: number;
  deleted: boolean;
  /** ms since the epoch when the node stored it (listings only; HEADs do not say) */
  modified?: number;
}

export interface IdState {
  /** the id's R owners on the current ring, in ring order */
  owners: readonly string[];
  /** what each node that was asked holds; a node absent from the map holds nothing (or was not asked) */
  copies: ReadonlyMap<string, Copy>;
  replicationFactor: number;
  isHealthy(name: string): boolean;
  /** ms since the epoch */
  now: number;
  tombstoneTtlMs: number;
  /** false unless every healthy node's listing was read whole: a node not seen might hold a copy */
  mayReclaim: boolean;
}

interface CopyAction {
  to: string;
  /** the target holds data at the tombstone's very version: purge that first */
  replaceVersion?: number;
}

export interface PurgeAction {
  node: string;
  copy: Copy;
}

export interface Plan {
  newest: Copy;
  /** the nodes holding the newest copy, owners first in ring order, then the others by name */
  sources: string[];
  underReplicated: boolean;
  copies: CopyAction[];
  /** non-owner copies to purge once every owner is confirmed to hold at least as new a copy (confirmedPurges) */
  purgeCandidates: PurgeAction[];
  /** an expired tombstone to purge from every owner */
  reclaim: PurgeAction[];
}

/** Orders copies: by version, and at the same version a tombstone is the newer. */
export function compareCopies(a: Copy, b: Copy): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  if (a.deleted === b.deleted) return 0;
  return a.deleted ? 1 : -1;
}

/** The plan for one id; undefined when no node holds any copy of it. */
export function reconcile(state: IdState): Plan | undefined {
  const { owners, copies } = state;
  let newest: Copy | undefined;
  for (const copy of copies.values()) if (!newest || compareCopies(copy, newest) > 0) newest = copy;
  if (!newest) return undefined;
  const latest = newest;

  const holders = [...copies].filter(([, copy]) => compareCopies(copy, latest) === 0).map(([node]) => node);
  const sources = [
    ...owners.filter((owner) => holders.includes(owner)),
    ...holders.filter((node) => !owners.includes(node)).sort(),
  ];

  const copyActions: CopyAction[] = [];
  for (const owner of owners) {
    if (!state.isHealthy(owner)) continue;
    const held = copies.get(owner);
    if (held && compareCopies(held, latest) >= 0) continue;
    const sameVersionOtherKind = held !== undefined && held.version === latest.version;
    copyActions.push(sameVersionOtherKind ? { to: owner, replaceVersion: held.version } : { to: owner });
  }

  const everyOwnerHealthy = owners.length > 0 && owners.every((owner) => state.isHealthy(owner));
  const misplaced = [...copies].filter(([node]) => !owners.includes(node));
  const purgeCandidates = everyOwnerHealthy
    ? misplaced.map(([node, copy]) => ({ node, copy })).sort((a, b) => (a.node < b.node ? -1 : 1))
    : [];

  const reclaimable =
    latest.deleted &&
    state.mayReclaim &&
    everyOwnerHealthy &&
    misplaced.length === 0 &&
    owners.every((owner) => {
      const held = copies.get(owner);
      return (
        held !== undefined &&
        compareCopies(held, latest) === 0 &&
        held.modified !== undefined &&
        state.now - held.modified > state.tombstoneTtlMs
      );
    });

  return {
    newest: latest,
    sources,
    underReplicated: holders.length < state.replicationFactor,
    copies: copyActions,
    purgeCandidates,
    reclaim: reclaimable ? owners.map((node) => ({ node, copy: copies.get(node) as Copy })) : [],
  };
}

/**
 * The purge candidates that may go now: `confirmed` holds what each owner answered when asked just before
 * (undefined: it holds nothing or did not answer). A candidate goes only if every owner holds a copy at least as
 * new as it.
 */
export function confirmedPurges(
  candidates: readonly PurgeAction[],
  owners: readonly string[],
  confirmed: ReadonlyMap<string, Copy | undefined>,
): PurgeAction[] {
  if (owners.length === 0) return [];
  return candidates.filter(({ copy }) =>
    owners.every((owner) => {
      const held = confirmed.get(owner);
      return held !== undefined && compareCopies(held, copy) >= 0;
    }),
  );
}
