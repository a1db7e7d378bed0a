// Where a blob id lives and who may answer for it now, from the ring and the nodes' health.
//
// - owners: the first R distinct nodes clockwise from the id's position, whatever their health. This is where
//   the blob is written, and what GET /internal/ring/:id reports as `nodes`.
// - serving: one entry per owner, in ring order: the owner itself when healthy, else its stand-in, the next
//   healthy node clockwise that is neither an owner nor already standing in. Fewer entries when the cluster
//   has fewer healthy nodes.
//
// R is REPLICATION_FACTOR capped at the number of nodes on the ring (effectiveReplicationFactor); draining nodes
// are not on the ring, so they are never owners or stand-ins. The proxy walks these lists (proxy/blob-proxy.ts).
import type { HashRing } from '@backend-rebase/data-structures';
import { ringPosition } from '@backend-rebase/data-structures';

export interface Placement {
  /** the id's position on the ring (decimal uint32) */
  hash: number;
  owners: string[];
  serving: string[];
  /** the healthy owners, in ring order */
  healthyOwners: string[];
  /** the healthy non-owners in ring order, first the stand-ins of unhealthy owners */
  standIns: string[];
}

/** R: REPLICATION_FACTOR capped at the number of nodes on the ring, the R every part of the balancer uses. */
export function effectiveReplicationFactor(ring: HashRing, replicationFactor: number): number {
  return Math.min(replicationFactor, ring.size);
}

export function placementOf(
  ring: HashRing,
  isHealthy: (name: string) => boolean,
  id: string,
  replicationFactor: number,
): Placement {
  const hash = ringPosition(id);
  if (ring.size === 0) return { hash, owners: [], serving: [], healthyOwners: [], standIns: [] };
  const clockwise = ring.ownersAt(hash); // every node, nearest first; a few hundred ns for a small cluster
  const owners = clockwise.slice(0, replicationFactor);
  const standIns = clockwise.slice(replicationFactor).filter(isHealthy);
  const serving: string[] = [];
  let nextStandIn = 0;
  for (const owner of owners) {
    if (isHealthy(owner)) serving.push(owner);
    else if (nextStandIn < standIns.length) serving.push(standIns[nextStandIn++] as string);
  }
  return { hash, owners, serving, healthyOwners: owners.filter(isHealthy), standIns };
}
