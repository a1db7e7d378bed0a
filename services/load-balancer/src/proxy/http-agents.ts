// One keep-alive node:http Agent per node, for the writes that need `Expect: 100-continue` (undici refuses to
// send that header). Guarantees: an agent is keyed by name and address, so a node that moves gets a fresh
// agent at its new address; dropping a node closes its agent's idle sockets at once and the others as soon as
// their requests finish, so nothing in flight is cut off.
import { Agent } from 'node:http';

export interface HttpAgentOptions {
  /** sockets per node, in use and idle */
  connections: number;
}

export class HttpAgents {
  private readonly agents = new Map<string, { origin: string; agent: Agent }>();

  constructor(private readonly options: HttpAgentOptions) {}

  /** The agent for `name` at `origin` (`host:port`), replacing the one it had at another address. */
  agentFor(name: string, origin: string): Agent {
    const existing = this.agents.get(name);
    if (existing?.origin === origin) return existing.agent;
    if (existing) this.drop(name);
    const agent = new Agent({
      keepAlive: true,
      maxSockets: this.options.connections,
      maxFreeSockets: this.options.connections,
      scheduling: 'lifo',
    });
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
