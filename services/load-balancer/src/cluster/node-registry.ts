// The cluster's membership: the registered blob servers, their health, whether each has caught up with the
// writes it may have missed, and the ring built from the names of the nodes that own data.
//
// Guarantees:
// - Names are unique. A registration with the same name, address and bootId as the registered node is a heartbeat:
//   nothing changes. Any other registration of a known name (new address, new bootId, or no bootId at all, as a
//   hand-typed curl sends) is a re-registration: a new generation, health starts over, and the node is not in
//   sync, so a restarted or moved node is probed again before it serves and is not trusted until it caught up.
// - The ring holds every registered node that is not draining, healthy or not, and is rebuilt only when a name
//   joins or leaves it, so a node that is briefly down keeps its keys. Routing skips unhealthy nodes
//   (placement.ts); it never reshapes the ring.
// - Catching up: each node has an `epoch` and `inSync`. Every node starts out of sync (a balancer that has just
//   started knows nothing of what its nodes missed); re-registering, any change of health, and a missed write bump
//   the epoch and clear `inSync`. Only markInSync with the epoch a rebalancer pass started at sets it again, so a
//   pass can never vouch for writes missed after it began. Epochs come from one counter for the whole registry,
//   so a node removed and registered again never gets back an epoch an older pass remembers.
// - Draining: drain(name) takes the node off the ring at once, but it stays registered, health-checked and
//   readable until remove(name) (the rebalancer calls it once the node holds nothing).
// - Removal is remembered per process: a node removed while it ran as bootId B is refused (register answers
//   `removed`) when it announces itself as B again; the same name with another bootId is a restart and rejoins.
// - Listeners hear every change synchronously, in order: connection pools, metrics and the rebalancer's
//   triggers follow membership through them.
import { HashRing } from '@backend-rebase/data-structures';
import type { Clock } from '@backend-rebase/service-kit';
import { afterCheck, NEW_NODE, type HealthState, type NodeStatus } from './health-state.js';
import type { SavedMembership } from './membership-file.js';

export interface NodeAddress {
  host: string;
  port: number;
}

/** A node as every response shows it (GET/POST /internal/nodes). */
export interface NodeView extends NodeAddress {
  name: string;
  status: NodeStatus;
  /** ISO time of the latest registration (heartbeats do not change it) */
  registeredAt: string;
  /** ISO time of the latest check, active or passive; null before the first */
  lastCheckAt: string | null;
  /** the process the node announced itself as; null when it registered without one */
  bootId: string | null;
  /** off the ring, its blobs being moved away; it leaves the list once it holds nothing */
  draining: boolean;
  /** a rebalancer pass has given it every write it missed */
  inSync: boolean;
}

export interface ClusterNode extends NodeAddress {
  readonly name: string;
  /** increases on every registration of this name, so a late probe of an old address is ignored */
  readonly generation: number;
  /** the announcing process (new at each start of the blob server); undefined when none was sent */
  readonly bootId: string | undefined;
  registeredAt: Date;
  lastCheckAt: Date | null;
  health: HealthState;
  /** why the latest check failed, for logs and problem details */
  lastFailure: string | undefined;
  draining: boolean;
  /** changes whenever the node may have missed something: re-registration, health change, missed write */
  epoch: number;
  inSync: boolean;
}

export type MembershipEvent =
  // joined: a new name; moved: a known name re-registered (new address or new process); left: removed;
  // draining: off the ring, still registered; missed-write: a write skipped it or failed on it
  | { type: 'joined' | 'moved' | 'left' | 'draining' | 'missed-write'; node: ClusterNode }
  | { type: 'health'; node: ClusterNode; previous: NodeStatus };

export type Registration =
  | { outcome: 'joined' | 're-registered' | 'heartbeat'; node: ClusterNode }
  /** this name was removed while it ran as this bootId: it rejoins when it restarts */
  | { outcome: 'removed' };

export class NodeRegistry {
  private readonly members = new Map<string, ClusterNode>();
  /** name → the bootId it had when it was removed */
  private readonly removed = new Map<string, string>();
  private currentRing: HashRing;
  private readonly listeners: Array<(event: MembershipEvent) => void> = [];
  private generations = 0;
  private epochs = 0;

  constructor(
    readonly pointsPerNode: number,
    private readonly now: Clock = Date.now,
  ) {
    this.currentRing = new HashRing([], pointsPerNode);
  }

  /** The nodes that own data: every registered node except the draining ones. */
  get ring(): HashRing {
    return this.currentRing;
  }

  onChange(listener: (event: MembershipEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Adds the node, updates it (re-registration), or recognises a heartbeat; see the top of this file. */
  register(name: string, address: NodeAddress, bootId?: string): Registration {
    if (bootId !== undefined && this.removed.get(name) === bootId) return { outcome: 'removed' };
    const existing = this.members.get(name);
    if (
      existing &&
      bootId !== undefined &&
      existing.bootId === bootId &&
      existing.host === address.host &&
      existing.port === address.port
    ) {
      return { outcome: 'heartbeat', node: existing };
    }
    this.removed.delete(name);
    const node: ClusterNode = {
      name,
      host: address.host,
      port: address.port,
      generation: (this.generations += 1),
      bootId,
      registeredAt: new Date(this.now()),
      lastCheckAt: null,
      health: NEW_NODE,
      lastFailure: undefined,
      // A drain is the operator's decision: a node that restarts while draining goes on draining.
      draining: existing?.draining ?? false,
      epoch: (this.epochs += 1),
      inSync: false,
    };
    this.members.set(name, node);
    if (!existing) this.currentRing = this.currentRing.withNode(name);
    this.emit({ type: existing ? 'moved' : 'joined', node });
    return { outcome: existing ? 're-registered' : 'joined', node };
  }

  /**
   * Takes the node off the ring but keeps it registered (and checked, and readable) until remove(); false when
   * there is no node of that name. Draining a draining node changes nothing.
   */
  drain(name: string): boolean {
    const node = this.members.get(name);
    if (!node) return false;
    if (node.draining) return true;
    node.draining = true;
    this.currentRing = this.currentRing.withoutNode(name);
    this.ringShrank();
    this.emit({ type: 'draining', node });
    return true;
  }

  /** What MEMBERSHIP_FILE keeps: who is registered (and draining), and who was removed as which process. */
  membership(): SavedMembership {
    return {
      nodes: this.list().map(({ name, host, port, bootId, draining }) => ({
        name,
        host,
        port,
        bootId: bootId ?? null,
        draining,
      })),
      removed: [...this.removed],
    };
  }

  /**
   * Registers a saved membership at start-up, before any heartbeat: each node as if it had just registered
   * (probed before it serves, out of sync), draining ones off the ring. No events: nothing changed.
   */
  restore(saved: SavedMembership): void {
    for (const [name, bootId] of saved.removed) this.removed.set(name, bootId);
    for (const { name, host, port, bootId, draining } of saved.nodes) {
      this.members.set(name, {
        name,
        host,
        port,
        generation: (this.generations += 1),
        bootId: bootId ?? undefined,
        registeredAt: new Date(this.now()),
        lastCheckAt: null,
        health: NEW_NODE,
        lastFailure: undefined,
        draining,
        epoch: (this.epochs += 1),
        inSync: false,
      });
      if (!draining) this.currentRing = this.currentRing.withNode(name);
    }
  }

  /** Removes the node (and its points, unless it was draining); false when there is no node of that name. */
  remove(name: string): boolean {
    const node = this.members.get(name);
    if (!node) return false;
    this.members.delete(name);
    if (node.bootId !== undefined) this.removed.set(name, node.bootId);
    if (!node.draining) {
      this.currentRing = this.currentRing.withoutNode(name);
      this.ringShrank();
    }
    this.emit({ type: 'left', node });
    return true;
  }

  get(name: string): ClusterNode | undefined {
    return this.members.get(name);
  }

  /** Every registered node, draining ones included, sorted by name. */
  list(): ClusterNode[] {
    return [...this.members.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  isHealthy(name: string): boolean {
    return this.members.get(name)?.health.status === 'healthy';
  }

  isDraining(name: string): boolean {
    return this.members.get(name)?.draining === true;
  }

  isInSync(name: string): boolean {
    return this.members.get(name)?.inSync === true;
  }

  /** The node's epoch; undefined for an unknown name. */
  epochOf(name: string): number | undefined {
    return this.members.get(name)?.epoch;
  }

  /** A write skipped the node (it was down) or failed on it: it is behind until a pass catches it up. */
  missedWrite(name: string): void {
    const node = this.members.get(name);
    if (!node) return;
    node.epoch = this.epochs += 1;
    node.inSync = false;
    this.emit({ type: 'missed-write', node });
  }

  /**
   * A node that leaves the ring hands its ranges to the nodes after it, which do not hold those blobs yet: until
   * a pass has copied them, no node can vouch for every id it now owns.
   */
  private ringShrank(): void {
    for (const node of this.members.values()) {
      node.epoch = this.epochs += 1;
      node.inSync = false;
    }
  }

  /**
   * A rebalancer pass that started when the node was at `epoch` gave it everything: it is in sync, unless its
   * epoch moved since (it missed something after the pass began) or it is not healthy now.
   */
  markInSync(name: string, epoch: number): boolean {
    const node = this.members.get(name);
    if (!node || node.epoch !== epoch || node.health.status !== 'healthy') return false;
    node.inSync = true;
    return true;
  }

  get healthyCount(): number {
    let count = 0;
    for (const node of this.members.values()) if (node.health.status === 'healthy') count += 1;
    return count;
  }

  get size(): number {
    return this.members.size;
  }

  /**
   * Applies one check's outcome to the node registered as `generation` (a check of an address the node has
   * since left is dropped). `failure` says why a failed check failed.
   */
  recordCheck(name: string, generation: number, failure: string | undefined): void {
    const node = this.members.get(name);
    if (!node || node.generation !== generation) return;
    const previous = node.health.status;
    node.health = afterCheck(node.health, failure === undefined);
    node.lastCheckAt = new Date(this.now());
    node.lastFailure = failure;
    if (node.health.status === previous) return;
    // Down, it misses writes; back up, a pass that began without it must not vouch for it.
    node.epoch = this.epochs += 1;
    node.inSync = false;
    this.emit({ type: 'health', node, previous });
  }

  private emit(event: MembershipEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

export function viewOf(node: ClusterNode): NodeView {
  return {
    name: node.name,
    host: node.host,
    port: node.port,
    status: node.health.status,
    registeredAt: node.registeredAt.toISOString(),
    lastCheckAt: node.lastCheckAt?.toISOString() ?? null,
    bootId: node.bootId ?? null,
    draining: node.draining,
    inSync: node.inSync,
  };
}
