// The cluster's membership: the registered blob servers, their health, and the ring built from their names.
//
// Guarantees:
// - Names are unique; re-registering a name updates its address and starts its health over (a restarted or moved
//   node is probed again before it serves), but does not touch the ring, which hashes names, not addresses.
// - The ring holds every registered node, healthy or not, and is rebuilt only when a name joins or leaves, so a
//   node that is briefly down keeps its keys and gets them back when it recovers. Routing skips unhealthy
//   nodes (placement.ts); it never reshapes the ring.
// - Listeners hear every change (joined, moved, left, health) synchronously, in order: connection pools and
//   metrics follow membership through them.
import { HashRing } from '@backend-rebase/data-structures';
import { afterCheck, NEW_NODE, type HealthState, type NodeStatus } from './health-state.js';

export interface NodeAddress {
  host: string;
  port: number;
}

/** A node as every response shows it (GET/POST /internal/nodes). */
export interface NodeView extends NodeAddress {
  name: string;
  status: NodeStatus;
  /** ISO time of the latest registration */
  registeredAt: string;
  /** ISO time of the latest check, active or passive; null before the first */
  lastCheckAt: string | null;
}

export interface ClusterNode extends NodeAddress {
  readonly name: string;
  /** increases on every registration of this name, so a late probe of an old address is ignored */
  readonly generation: number;
  registeredAt: Date;
  lastCheckAt: Date | null;
  health: HealthState;
  /** why the latest check failed, for logs and problem details */
  lastFailure: string | undefined;
}

export type MembershipEvent =
  | { type: 'joined' | 'moved' | 'left'; node: ClusterNode }
  | { type: 'health'; node: ClusterNode; previous: NodeStatus };

export class NodeRegistry {
  private readonly members = new Map<string, ClusterNode>();
  private currentRing: HashRing;
  private readonly listeners: Array<(event: MembershipEvent) => void> = [];
  private generations = 0;

  constructor(
    readonly pointsPerNode: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.currentRing = new HashRing([], pointsPerNode);
  }

  get ring(): HashRing {
    return this.currentRing;
  }

  onChange(listener: (event: MembershipEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Adds the node, or updates the address of the node of that name; `created` tells which. */
  register(name: string, address: NodeAddress): { node: ClusterNode; created: boolean } {
    const existing = this.members.get(name);
    const node: ClusterNode = {
      name,
      host: address.host,
      port: address.port,
      generation: (this.generations += 1),
      registeredAt: this.now(),
      lastCheckAt: null,
      health: NEW_NODE,
      lastFailure: undefined,
    };
    this.members.set(name, node);
    if (!existing) this.currentRing = this.currentRing.withNode(name);
    this.emit({ type: existing ? 'moved' : 'joined', node });
    return { node, created: !existing };
  }

  /** Removes the node and its points; false when there is no node of that name. */
  remove(name: string): boolean {
    const node = this.members.get(name);
    if (!node) return false;
    this.members.delete(name);
    this.currentRing = this.currentRing.withoutNode(name);
    this.emit({ type: 'left', node });
    return true;
  }

  get(name: string): ClusterNode | undefined {
    return this.members.get(name);
  }

  /** Every node, sorted by name. */
  list(): ClusterNode[] {
    return [...this.members.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  isHealthy(name: string): boolean {
    return this.members.get(name)?.health.status === 'healthy';
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
    node.lastCheckAt = this.now();
    node.lastFailure = failure;
    if (node.health.status !== previous) this.emit({ type: 'health', node, previous });
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
  };
}
