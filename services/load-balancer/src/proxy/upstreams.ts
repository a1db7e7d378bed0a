// One keep-alive connection pool (undici Pool) per registered node, keyed by name and following the registry:
// a node that moves gets a new pool at its new address, and a node that leaves has its pool closed, after the
// requests in flight on it finish.
import { Pool } from 'undici';
import { hostForUrl } from '../cluster/node-address.js';
import type { ClusterNode, NodeRegistry } from '../cluster/node-registry.js';

export interface UpstreamOptions {
  connections: number;
  /** how long a connection may wait for the upstream to connect */
  connectTimeoutMs: number;
}

export class Upstreams {
  private readonly pools = new Map<string, { origin: string; pool: Pool }>();

  constructor(
    registry: NodeRegistry,
    private readonly options: UpstreamOptions,
  ) {
    registry.onChange((event) => {
      if (event.type === 'left' || event.type === 'moved') this.drop(event.node.name);
    });
  }

  poolFor(node: ClusterNode): Pool {
    const origin = `http://${hostForUrl(node.host)}:${node.port}`;
    const existing = this.pools.get(node.name);
    if (existing?.origin === origin) return existing.pool;
    if (existing) this.drop(node.name);
    const pool = new Pool(origin, {
      connections: this.options.connections,
      connectTimeout: this.options.connectTimeoutMs,
      pipelining: 1,
    });
    this.pools.set(node.name, { origin, pool });
    return pool;
  }

  async closeAll(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(({ pool }) => pool.close()));
  }

  private drop(name: string): void {
    const entry = this.pools.get(name);
    if (!entry) return;
    this.pools.delete(name);
    void entry.pool.close().catch(() => undefined);
  }
}
