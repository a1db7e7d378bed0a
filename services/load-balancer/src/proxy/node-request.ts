// One request to one node through its undici pool (reads, deletes, the compare path's HEADs), with the passive
// health rule: a node that cannot be reached, is too slow, or breaks off counts as a failed check at once
// (health-state.ts), unless the request failed because the client went away. Every attempt is counted in
// lb_upstream_requests_total and timed in lb_upstream_latency_seconds.
import type { Readable } from 'node:stream';
import { failureKind, sendThrough, type UpstreamRequest } from '@backend-rebase/http-proxy';
import { describeFailure } from '../cluster/health-checker.js';
import type { NodeRegistry } from '../cluster/node-registry.js';
import type { ProxyMetrics } from '../metrics.js';
import type { Attempt } from './outcome.js';
import type { Upstreams } from './upstreams.js';

export interface NodeContext {
  registry: NodeRegistry;
  upstreams: Upstreams;
  metrics: ProxyMetrics;
  timeoutMs: number;
}

/** One request to a node: path and query already safe, `/blobs/<valid id>`. */
export type NodeRequest = UpstreamRequest;

export async function sendToNode(context: NodeContext, name: string, request: NodeRequest): Promise<Attempt> {
  const { registry, upstreams, metrics, timeoutMs } = context;
  const node = registry.get(name);
  if (!node) return { kind: 'failed', node: name, failure: 'unreachable', reason: 'no longer registered' };
  const started = performance.now();
  try {
    const response = await sendThrough(upstreams.poolFor(node), request, timeoutMs);
    metrics.upstream(name, response.statusCode, (performance.now() - started) / 1000);
    // The answer's body may still break off while it streams to the client: that is a failure too.
    response.body.once('error', (error) => {
      if (!request.signal.aborted) registry.recordCheck(name, node.generation, describeFailure(error));
    });
    const body: Readable = response.body;
    return {
      kind: 'answered',
      answer: {
        node: name,
        status: response.statusCode,
        headers: response.headers,
        body,
        discard: () => void response.body.dump().catch(() => undefined),
      },
    };
  } catch (error) {
    if (request.signal.aborted) return { kind: 'client-gone' };
    metrics.upstream(name, 'error', (performance.now() - started) / 1000);
    const reason = describeFailure(error);
    registry.recordCheck(name, node.generation, reason);
    return { kind: 'failed', node: name, failure: failureKind(error), reason };
  }
}
