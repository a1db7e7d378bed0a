// What the rebalancer sees of the cluster, and what the rest of the balancer sees of the rebalancer: the seam
// between the data path (proxy/, cluster/) and the background repair (rebalance/), so each side can be read
// and tested without the other.
import type { Dispatcher } from 'undici';

export interface ClusterView {
  /** the R owners of `id` on the current ring (draining nodes are not on it), in ring order, whatever their health */
  ownersOf(id: string): string[];
  /** the effective replication factor: REPLICATION_FACTOR capped at the number of nodes on the ring */
  replicationFactor(): number;
  /** registered nodes that answer now (healthy), draining ones included, sorted by name */
  healthyNodes(): string[];
  isHealthy(name: string): boolean;
  isDraining(name: string): boolean;
  /** bumps whenever the node misses a write, comes back, or re-registers; undefined for an unknown node */
  epochOf(name: string): number | undefined;
  /**
   * A full pass finished. Each node in `startEpochs` whose epoch is unchanged and that is not in `failed` (a copy
   * to it or a listing of it failed during the pass) is in sync again.
   */
  passFinished(startEpochs: ReadonlyMap<string, number>, failed: ReadonlySet<string>): void;
  /** a draining node holds nothing any more: it leaves the registry */
  drained(name: string): void;
  /** the keep-alive connection pool to a registered node; undefined when the node is gone */
  poolFor(name: string): Dispatcher | undefined;
}

export interface RebalanceProgress {
  state: 'idle' | 'running';
  /** ISO time the current (or last) pass started; null before the first */
  startedAt: string | null;
  /** ISO time the last pass finished; null while the first runs */
  finishedAt: string | null;
  /** what started the current (or last) pass */
  trigger: string | null;
  /** ids looked at in the current (or last) pass */
  scanned: number;
  copied: number;
  removed: number;
  errors: number;
  /** ids whose newest version fewer than R nodes held (owners or not), in the last finished pass */
  underReplicated: number;
}

/** The progress of a rebalancer that has not run a pass yet. */
export const BEFORE_FIRST_PASS: Readonly<RebalanceProgress> = {
  state: 'idle',
  startedAt: null,
  finishedAt: null,
  trigger: null,
  scanned: 0,
  copied: 0,
  removed: 0,
  errors: 0,
  underReplicated: 0,
};

/** What the data path asks of the rebalancer. */
export interface RebalanceControl {
  /** schedule a pass (coalesced: one more pass after the running one at most) */
  request(trigger: string): void;
  /** a read found stale or missing copies of `id`: put it right in the background (bounded queue) */
  repair(id: string): void;
  /** a stand-in `holder` took a copy of `id` for a down owner (for lb_handoff_pending) */
  noteHandoff(id: string, holder: string): void;
  /** a pass is running or requested: placement is in flux, reads compare versions */
  readonly busy: boolean;
  readonly progress: RebalanceProgress;
}
