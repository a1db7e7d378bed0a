// A ClusterView over FakeNodes, driven by the test: who is on the ring, who is healthy or draining, each node's
// epoch. It keeps what the rebalancer reports back (the passes it finished, the nodes it found drained) and
// applies the in-sync rule the balancer's registry applies, so a test can read which nodes a pass left in sync.
import { HashRing } from '@backend-rebase/data-structures';
import { Pool } from 'undici';
import type { ClusterView } from '../../../src/rebalance/cluster-view.js';
import type { FakeNode } from './fake-node.js';

interface Member {
  node: FakeNode;
  pool: Pool;
  healthy: boolean;
  draining: boolean;
  epoch: number;
  inSync: boolean;
}

export class FakeCluster implements ClusterView {
  private ring: HashRing;
  private readonly members = new Map<string, Member>();
  readonly passes: { startEpochs: Map<string, number>; failed: Set<string> }[] = [];
  readonly drainedNodes: string[] = [];
  private readonly passWaiters: { count: number; reached: () => void }[] = [];

  constructor(
    nodes: FakeNode[],
    private readonly configuredReplicationFactor = 2,
  ) {
    for (const node of nodes) this.members.set(node.name, this.member(node));
    this.ring = new HashRing(this.members.keys(), 16);
  }

  join(node: FakeNode): void {
    this.members.set(node.name, this.member(node));
    this.ring = this.ring.withNode(node.name);
  }

  drain(name: string): void {
    (this.members.get(name) as Member).draining = true;
    this.ring = this.ring.withoutNode(name);
  }

  setHealthy(name: string, healthy: boolean): void {
    const member = this.members.get(name) as Member;
    if (healthy && !member.healthy) {
      member.epoch++;
      member.inSync = false;
    }
    member.healthy = healthy;
  }

  /** Resolves once `count` passes have finished. */
  passesFinished(count: number): Promise<void> {
    if (this.passes.length >= count) return Promise.resolve();
    return new Promise((reached) => this.passWaiters.push({ count, reached }));
  }

  inSync(name: string): boolean {
    return this.members.get(name)?.inSync ?? false;
  }

  /** The owners an id had on the ring as it was, for comparing before and after a change. */
  ringSnapshot(): (id: string) => string[] {
    const ring = this.ring;
    return (id) => ring.ownersOf(id, Math.min(this.configuredReplicationFactor, ring.size));
  }

  async close(): Promise<void> {
    await Promise.all([...this.members.values()].map(({ pool }) => pool.close()));
  }

  ownersOf(id: string): string[] {
    return this.ring.ownersOf(id, this.replicationFactor());
  }

  replicationFactor(): number {
    return Math.min(this.configuredReplicationFactor, this.ring.size);
  }

  healthyNodes(): string[] {
    return [...this.members]
      .filter(([, member]) => member.healthy)
      .map(([name]) => name)
      .sort();
  }

  isHealthy(name: string): boolean {
    return this.members.get(name)?.healthy ?? false;
  }

  isDraining(name: string): boolean {
    return this.members.get(name)?.draining ?? false;
  }

  epochOf(name: string): number | undefined {
    return this.members.get(name)?.epoch;
  }

  passFinished(startEpochs: ReadonlyMap<string, number>, failed: ReadonlySet<string>): void {
    this.passes.push({ startEpochs: new Map(startEpochs), failed: new Set(failed) });
    for (const [name, epoch] of startEpochs) {
      const member = this.members.get(name);
      if (member && member.epoch === epoch && !failed.has(name)) member.inSync = true;
    }
    for (const waiter of this.passWaiters) if (this.passes.length >= waiter.count) waiter.reached();
  }

  drained(name: string): void {
    this.drainedNodes.push(name);
    const member = this.members.get(name);
    this.members.delete(name);
    void member?.pool.close();
  }

  poolFor(name: string): Pool | undefined {
    return this.members.get(name)?.pool;
  }

  private member(node: FakeNode): Member {
    return { node, pool: new Pool(node.url), healthy: true, draining: false, epoch: 0, inSync: false };
  }
}
