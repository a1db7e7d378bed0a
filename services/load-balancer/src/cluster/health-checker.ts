// Active health checks: `GET /health` on every registered node (checkAll, which the app runs every
// HEALTH_INTERVAL_MS) or on one (probe), each bounded by `timeoutMs`; the outcome goes to the registry's state
// machine (health-state.ts). A node is never probed twice at once, so a slow node cannot pile up checks, and each
// node's check runs on its own, so a slow node does not hold back the checks of the others. Probes use their own small connection pool (one connection per
// node), not the proxy's: a pool busy with large uploads must not make a live node look dead.
import { Agent, request } from 'undici';
import { hostForUrl } from './node-address.js';
import type { ClusterNode, NodeRegistry } from './node-registry.js';

export interface HealthCheckerOptions {
  registry: NodeRegistry;
  timeoutMs: number;
}

export class HealthChecker {
  private readonly agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly options: HealthCheckerOptions) {}

  /** Starts a check of every registered node (each joins the check of its node already running, if any). */
  checkAll(): void {
    for (const node of this.options.registry.list()) void this.probe(node);
  }

  /** Checks one node now (or joins the check already running); never rejects. */
  probe(node: ClusterNode): Promise<void> {
    const key = `${node.name}#${node.generation}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const check = this.check(node).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, check);
    return check;
  }

  /** Waits for the checks in flight, then closes the probes' connections. */
  async close(): Promise<void> {
    await Promise.all(this.inFlight.values());
    await this.agent.close();
  }

  private async check(node: ClusterNode): Promise<void> {
    const { registry, timeoutMs } = this.options;
    let failure: string | undefined;
    try {
      const response = await request(`http://${hostForUrl(node.host)}:${node.port}/health`, {
        dispatcher: this.agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode !== 200) failure = `GET /health answered ${response.statusCode}`;
    } catch (error) {
      failure = describeFailure(error);
    }
    registry.recordCheck(node.name, node.generation, failure);
  }
}

/** A short reason for a failed request to a node: the error code when there is one. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    const name = typeof code === 'string' ? code : typeof cause === 'string' ? cause : error.name;
    return `${name}: ${error.message}`;
  }
  return String(error);
}
