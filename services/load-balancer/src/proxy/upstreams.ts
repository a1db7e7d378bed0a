// The connections to each registered node, keyed by name and following the registry: a keep-alive undici Pool
// for reads and deletes, and a node:http Agent for writes, which need `Expect: 100-continue` (both from
// http-proxy's connections.ts).
// A node that moves gets new connections at its new address, and a node that leaves has its connections closed
// after the requests in flight on them finish.
import type { Agent } from 'node:http';
import { HttpAgents, upstreamPool } from '@backend-rebase/http-proxy';
import type { Pool } from 'undici';
import { hostForUrl } from '../cluster/node-address.js';
import type { ClusterNode, NodeRegistry } from '../cluster/node-registry.js';

export interface UpstreamOptions {
  connections: number;
  /** how long a connection may wait for the upstream to connect */
  connectTimeoutMs: number;
}

export class Upstreams {
  private readonly pools = new Map<string, { host: string; port: number; pool: Pool }>();
  private readonly agents: HttpAgents;

  constructor(
    registry: NodeRegistry,
    private readonly options: UpstreamOptions,
  ) {
    this.agents = new HttpAgents(options.connections);
    registry.onChange((event) => {
      if (event.type === 'left' || event.type === 'moved') this.drop(event.node.name);
    });
  }

  get connectTimeoutMs(): number {
    return this.options.connectTimeoutMs;
  }

  poolFor(node: ClusterNode): Pool {
    // Every proxied request asks: the address is compared as it is, and the origin built only for a new pool.
    const existing = this.pools.get(node.name);
    if (existing?.host === node.host && existing.port === node.port) return existing.pool;
    if (existing) this.dropPool(node.name);
    const pool = upstreamPool(`http://${hostForUrl(node.host)}:${node.port}`, this.options);
    this.pools.set(node.name, { host: node.host, port: node.port, pool });
    return pool;
  }

  agentFor(node: ClusterNode): Agent {
    return this.agents.agentFor(node.name, `${hostForUrl(node.host)}:${node.port}`);
  }

  async closeAll(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.agents.closeAll();
    await Promise.all(pools.map(({ pool }) => pool.close()));
  }

  private drop(name: string): void {
    this.dropPool(name);
    this.agents.drop(name);
  }

  private dropPool(name: string): void {
    const entry = this.pools.get(name);
    if (!entry) return;
    this.pools.delete(name);
    void entry.pool.close().catch(() => undefined);
  }
}
