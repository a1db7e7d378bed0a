// The balancer's own metrics (docs/load-balancer.md), beside the kit's HTTP metrics.
// lb_node_healthy is read from the registry when Prometheus scrapes, so it can never drift from it, and a node
// that leaves stops being reported. The rebalancer registers its own metrics (lb_rebalance_*, lb_read_repairs_total,
// lb_under_replicated_blobs, lb_handoff_pending) on the same registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { NodeRegistry } from './cluster/node-registry.js';

export interface ProxyMetrics {
  /** one upstream attempt: the status the node answered, or "error" when it did not answer */
  upstream(node: string, status: number | 'error', seconds: number): void;
  /** a node refused a write or delete with 409: it holds a newer version (the balancer restamps and retries) */
  versionConflict(): void;
}

export function addLoadBalancerMetrics(registry: Registry, nodes: NodeRegistry): ProxyMetrics {
  const requests = new Counter({
    name: 'lb_upstream_requests_total',
    help: 'Requests sent to blob servers, by node and the status it answered ("error": no answer)',
    labelNames: ['node', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'lb_upstream_latency_seconds',
    help: 'Time from sending a request to a blob server to its response headers',
    labelNames: ['node'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'lb_node_healthy',
    help: '1 when the node is healthy, 0 when not',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const node of nodes.list())
        this.set({ node: node.name }, node.health.status === 'healthy' ? 1 : 0);
    },
  });
  const conflicts = new Counter({
    name: 'lb_version_conflicts_total',
    help: 'Writes and deletes a node refused with 409 because it holds a newer version',
    registers: [registry],
  });
  return {
    upstream(node, status, seconds) {
      requests.inc({ node, status: String(status) });
      latency.observe({ node }, seconds);
    },
    versionConflict() {
      conflicts.inc();
    },
  };
}
