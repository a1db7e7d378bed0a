// The ClusterView the rebalancer works from (rebalance/cluster-view.ts), over the registry and the proxy's
// connection pools. Ownership is the live ring's: owners are the first R nodes clockwise, with R capped at the
// number of nodes on the ring (draining nodes are not on it), so the rebalancer and the data path always agree on
// where a blob belongs.
import type { Dispatcher } from 'undici';
import type { ClusterView } from '../rebalance/cluster-view.js';
import type { Upstreams } from '../proxy/upstreams.js';
import type { NodeRegistry } from './node-registry.js';
import { effectiveReplicationFactor } from './placement.js';

export class RegistryClusterView implements ClusterView {
  constructor(
    private readonly registry: NodeRegistry,
    private readonly upstreams: Upstreams,
    /** REPLICATION_FACTOR as configured */
    private readonly configuredReplicationFactor: number,
  ) {}

  ownersOf(id: string): string[] {
    return this.registry.ring.ownersOf(id, this.replicationFactor());
  }

  replicationFactor(): number {
    return effectiveReplicationFactor(this.registry.ring, this.configuredReplicationFactor);
  }

  healthyNodes(): string[] {
    return this.registry
      .list()
      .filter((node) => node.health.status === 'healthy')
      .map((node) => node.name);
  }

  isHealthy(name: string): boolean {
    return this.registry.isHealthy(name);
  }

  isDraining(name: string): boolean {
    return this.registry.isDraining(name);
  }

  epochOf(name: string): number | undefined {
    return this.registry.epochOf(name);
  }

  passFinished(startEpochs: ReadonlyMap<string, number>, failed: ReadonlySet<string>): void {
    for (const [name, epoch] of startEpochs) if (!failed.has(name)) this.registry.markInSync(name, epoch);
  }

  drained(name: string): void {
    // Only a node still draining: one removed and registered again meanwhile (a restart) stays.
    if (this.registry.isDraining(name)) this.registry.remove(name);
  }

  poolFor(name: string): Dispatcher | undefined {
    const node = this.registry.get(name);
    return node ? this.upstreams.poolFor(node) : undefined;
  }
}
