// One request to one node through its undici pool (reads, deletes, the compare path's HEADs), with the passive
// health rule: a node that cannot be reached, is too slow, or breaks off counts as a failed check at once
// (health-state.ts), unless the request failed because the client went away. Every attempt is counted in
// lb_upstream_requests_total and timed in lb_upstream_latency_seconds.
//
// The body of a GET answer of at most WHOLE_BODY_BYTES is read whole before the answer is handed back: the
// route then writes head and body with one `end`, without a stream per answer, and a node that breaks off
// within such a body is a failed attempt the read path moves on from, rather than an answer cut short at the
// client. Larger bodies stream through, never held whole.
import type { Readable } from 'node:stream';
import { failureKind, sendThrough, type UpstreamRequest } from '@backend-rebase/http-proxy';
import type { Dispatcher } from 'undici';
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

/** The longest GET answer body read whole before it is relayed (the blob server's own single-read size). */
const WHOLE_BODY_BYTES = 64 * 1024;

export async function sendToNode(context: NodeContext, name: string, request: NodeRequest): Promise<Attempt> {
  const { registry, upstreams, metrics, timeoutMs } = context;
  const node = registry.get(name);
  if (!node) return { kind: 'failed', node: name, failure: 'unreachable', reason: 'no longer registered' };
  const failed = (error: unknown): Attempt => {
    if (request.signal.aborted) return { kind: 'client-gone' };
    const reason = describeFailure(error);
    registry.recordCheck(name, node.generation, reason);
    return { kind: 'failed', node: name, failure: failureKind(error), reason };
  };
  const started = performance.now();
  let response: Dispatcher.ResponseData;
  try {
    response = await sendThrough(upstreams.poolFor(node), request, timeoutMs);
  } catch (error) {
    if (!request.signal.aborted) metrics.upstream(name, 'error', (performance.now() - started) / 1000);
    return failed(error);
  }
  metrics.upstream(name, response.statusCode, (performance.now() - started) / 1000);
  const { statusCode: status, headers } = response;

  if (request.method === 'GET' && Number(headers['content-length']) <= WHOLE_BODY_BYTES) {
    try {
      const body = Buffer.from(await response.body.arrayBuffer());
      return { kind: 'answered', answer: { node: name, status, headers, body, discard: () => undefined } };
    } catch (error) {
      return failed(error);
    }
  }
  // The answer's body may still break off while it streams to the client: that is a failure too.
  response.body.once('error', (error) => {
    if (!request.signal.aborted) registry.recordCheck(name, node.generation, describeFailure(error));
  });
  const body: Readable = response.body;
  return {
    kind: 'answered',
    answer: {
      node: name,
      status,
      headers,
      body,
      discard: () => void response.body.dump().catch(() => undefined),
    },
  };
}
