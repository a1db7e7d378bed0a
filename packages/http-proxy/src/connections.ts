// The connections a proxy keeps to an upstream. Reads, deletes and uploads without `Expect` go through a
// keep-alive undici Pool; uploads whose client sent `Expect: 100-continue` go through a node:http Agent, since
// undici refuses to send that header (continue-upload.ts). Guarantees:
// - A pool never pipelines: a request that fails or is aborted takes no other request down with its connection.
// - HttpAgents keys an agent by name and address, so an upstream that moves gets a fresh agent at its new
//   address; dropping one closes its idle sockets at once and the others as soon as their requests finish, so
//   nothing in flight is cut off.
import { Agent } from 'node:http';
import { Pool } from 'undici';

export interface PoolOptions {
  /** connections to the upstream, in use and idle */
  connections: number;
  /** how long a connection may take to be made */
  connectTimeoutMs: number;
}

export function upstreamPool(origin: string, options: PoolOptions): Pool {
  return new Pool(origin, {
    connections: options.connections,
    connectTimeout: options.connectTimeoutMs,
    pipelining: 1,
  });
}

/** A keep-alive agent for `Expect: 100-continue` uploads, with at most `connections` sockets. */
export function uploadAgent(connections: number): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
    scheduling: 'lifo',
  });
}

export class HttpAgents {
  private readonly agents = new Map<string, { origin: string; agent: Agent }>();

  /** `connections`: sockets per upstream, in use and idle */
  constructor(private readonly connections: number) {}

  /** The agent for `name` at `origin` (`host:port`), replacing the one it had at another address. */
  agentFor(name: string, origin: string): Agent {
    const existing = this.agents.get(name);
    if (existing?.origin === origin) return existing.agent;
    if (existing) this.drop(name);
    const agent = uploadAgent(this.connections);
    this.agents.set(name, { origin, agent });
    return agent;
  }

  drop(name: string): void {
    const entry = this.agents.get(name);
    if (!entry) return;
    this.agents.delete(name);
    // Requests in flight finish on their sockets, which then close instead of waiting for reuse.
    entry.agent.keepSocketAlive = () => false;
    for (const sockets of Object.values(entry.agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }

  closeAll(): void {
    for (const name of [...this.agents.keys()]) this.drop(name);
  }
}
