// Sends one client request for /blobs/:id on to the nodes that hold the blob, and picks the answer to relay.
// Bodies are never held: a write's body goes from the client's socket to the node's through undici's pool
// (backpressure included), and the chosen answer's body is handed back as a stream.
//
// Who is asked (placement.ts gives the lists; REPLICATION_FACTOR is 1 until the replication issue):
// - Reads (GET, HEAD): the healthy owners in ring order. A 404 or a 5xx from one owner moves on to the next;
//   a node that cannot be reached moves on too, and when no owner could be reached at all, the stand-ins are
//   asked. An owner's 404 is final once every owner has answered. A stand-in's 404 is not: the blob may sit on
//   the owners that are down, so that is a 503 naming them.
// - Writes and deletes (PUT, POST, DELETE): the healthy owners, stamped with X-Blob-Version from the
//   balancer's clock. With R = 1 that is one node; every owner down is a 503 naming them. A write is not sent
//   to a stand-in at R = 1: the copy would sit where no later delete goes until the rebalancer exists, and
//   come back to life through a read. Nor is a failed write retried elsewhere: its body was streamed, not kept.
//
// For R > 1 (the next issue) `write` sends to every target at once, splitting the body stream (a tee with
// backpressure) and waiting for WRITE_QUORUM answers; the reads' order and the stand-in rule are already what
// the contract asks for.
//
// Passive health: a node that cannot be reached (refused, reset, timed out) counts as a failed check at once
// (health-state.ts), unless the request failed because the client went away.
import type { Readable } from 'node:stream';
import { BLOB_VERSION_HEADER } from '@backend-rebase/blob-contract';
import type { Dispatcher } from 'undici';
import { describeFailure } from '../cluster/health-checker.js';
import type { ClusterNode, NodeRegistry } from '../cluster/node-registry.js';
import type { Placement } from '../cluster/placement.js';
import type { ProxyMetrics } from '../metrics.js';
import type { HeaderMap } from '@backend-rebase/http-proxy';
import type { Upstreams } from './upstreams.js';
import type { VersionClock } from './version-clock.js';

export interface UpstreamRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** path and query, already safe: `/blobs/<valid id>` */
  path: string;
  headers: HeaderMap;
  body: Readable | undefined;
  /** aborted when the client goes away */
  signal: AbortSignal;
}

/** Why a node gave no answer: it could not be reached, it was too slow, or the exchange broke off. */
export type FailureKind = 'unreachable' | 'timeout' | 'broken';

interface Answered {
  kind: 'answered';
  node: string;
  response: Dispatcher.ResponseData;
}

export type Outcome =
  Answered | { kind: 'failed'; status: 502 | 503 | 504; detail: string } | { kind: 'client-gone' };

type Attempt =
  Answered | { kind: 'failed'; node: string; failure: FailureKind; reason: string } | { kind: 'client-gone' };

export interface BlobProxyOptions {
  registry: NodeRegistry;
  upstreams: Upstreams;
  metrics: ProxyMetrics;
  clock: VersionClock;
  timeoutMs: number;
}

export class BlobProxy {
  constructor(private readonly options: BlobProxyOptions) {}

  async read(id: string, placement: Placement, request: UpstreamRequest): Promise<Outcome> {
    const failures: string[] = [];
    let held: Answered | undefined; // the answer to relay if no owner has the blob
    for (const owner of placement.healthyOwners) {
      const attempt = await this.send(owner, request);
      if (attempt.kind === 'client-gone') return attempt;
      if (attempt.kind === 'failed') {
        failures.push(`${attempt.node}: ${attempt.reason}`);
        continue;
      }
      const status = attempt.response.statusCode;
      if (status !== 404 && status < 500) return attempt;
      // A definitive 404 from an owner beats a 5xx; otherwise the later answer replaces the earlier.
      if (held?.response.statusCode === 404) {
        void attempt.response.body.dump();
        continue;
      }
      if (held) void held.response.body.dump();
      held = attempt;
    }
    if (held) return held;

    // No owner could be asked or reached: the stand-ins may hold a copy written while the owners were down.
    for (const standIn of placement.standIns.slice(0, placement.owners.length)) {
      const attempt = await this.send(standIn, request);
      if (attempt.kind === 'client-gone') return attempt;
      if (attempt.kind === 'failed') {
        failures.push(`${attempt.node}: ${attempt.reason}`);
        continue;
      }
      if (attempt.response.statusCode < 300 || attempt.response.statusCode === 304) return attempt;
      void attempt.response.body.dump();
    }
    return ownersDown(id, placement, failures);
  }

  async write(id: string, placement: Placement, request: UpstreamRequest): Promise<Outcome> {
    const [target] = placement.healthyOwners; // R = 1: the one owner (see the top of this file)
    if (target === undefined) return ownersDown(id, placement, []);
    const stamped = {
      ...request,
      headers: { ...request.headers, [BLOB_VERSION_HEADER]: String(this.options.clock.next()) },
    };
    const attempt = await this.send(target, stamped);
    if (attempt.kind !== 'failed') return attempt;
    return {
      kind: 'failed',
      status: STATUS_FOR[attempt.failure],
      detail: `the blob server ${attempt.node}, owner of ${JSON.stringify(id)}, ${WHAT_HAPPENED[attempt.failure]} (${attempt.reason}); ${request.method === 'DELETE' ? 'retrying the delete is safe' : 'the write may or may not have been stored: retrying it is safe'}`,
    };
  }

  /** One request to one node. */
  private async send(name: string, request: UpstreamRequest): Promise<Attempt> {
    const { registry, upstreams, metrics, timeoutMs } = this.options;
    const node = registry.get(name) as ClusterNode; // placement only names registered nodes
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await upstreams.poolFor(node).request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      metrics.upstream(name, response.statusCode, seconds());
      // The answer's body may still break off while it streams to the client: that is a failure too.
      response.body.once('error', (error) => {
        if (!request.signal.aborted) registry.recordCheck(name, node.generation, describeFailure(error));
      });
      return { kind: 'answered', node: name, response };
    } catch (error) {
      if (request.signal.aborted || request.body?.errored) return { kind: 'client-gone' };
      metrics.upstream(name, 'error', seconds());
      const reason = describeFailure(error);
      registry.recordCheck(name, node.generation, reason);
      return { kind: 'failed', node: name, failure: failureKind(error), reason };
    }
  }
}

const STATUS_FOR: Record<FailureKind, 502 | 503 | 504> = { unreachable: 503, timeout: 504, broken: 502 };
const WHAT_HAPPENED: Record<FailureKind, string> = {
  unreachable: 'could not be reached',
  timeout: 'did not answer within UPSTREAM_TIMEOUT_MS',
  broken: 'broke off the exchange',
};

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function failureKind(error: unknown): FailureKind {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return 'unreachable';
  if (typeof code === 'string' && TIMEOUT.has(code)) return 'timeout';
  return 'broken';
}

function ownersDown(id: string, placement: Placement, failures: string[]): Outcome {
  const owners = placement.owners.join(', ');
  const marked = placement.owners
    .filter((owner) => !placement.healthyOwners.includes(owner))
    .map((owner) => `${owner}: marked unhealthy by its health checks`);
  const reasons = [...marked, ...failures];
  const why = reasons.length > 0 ? ` (${reasons.join('; ')})` : '';
  return {
    kind: 'failed',
    status: 503,
    detail: `every owner of ${JSON.stringify(id)} is down: ${owners}${why}; try again once ${placement.owners.length > 1 ? 'one of them recovers' : 'it recovers'}`,
  };
}
