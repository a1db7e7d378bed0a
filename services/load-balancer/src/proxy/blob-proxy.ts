// The balancer's data path for /blobs/:id with R replicas: one client request becomes requests to the nodes that
// hold (or should hold) the blob, and one answer to relay. Each kind of request has its own module:
// - writes (PUT, POST): write-path.ts — stamped, `Expect: 100-continue` to every target (owners, or stand-ins for
//   the unhealthy ones) before the body is read, 409 → restamp and retry, then the body teed to all of them;
//   acknowledged once WRITE_QUORUM distinct nodes stored it (quorum.ts).
// - deletes: delete-path.ts — stamped, to the same targets, 409 → restamp and retry, 204 at WRITE_QUORUM.
// - reads (GET, HEAD): read-path.ts — the owners in order when the cluster is settled, else a version
//   comparison across owners and stand-ins, so a read never goes back in time; stale owners are repaired.
// Bodies are never held whole: uploads stream from the client's socket to every target with backpressure from
// the slowest, and the chosen answer's body is handed back as a stream.
//
// Passive health: a node that cannot be reached or is too slow counts as a failed check at once
// (node-request.ts, continue-request.ts), unless the request failed because the client went away. Every version
// in a node's answer feeds the clock. The client going away aborts every request to the nodes.
import type { Readable } from 'node:stream';
import type { NodeRegistry } from '../cluster/node-registry.js';
import type { Placement } from '../cluster/placement.js';
import type { ProxyMetrics } from '../metrics.js';
import type { RebalanceControl } from '../rebalance/cluster-view.js';
import { proxyDelete } from './delete-path.js';
import type { NodeRequest } from './node-request.js';
import type { Outcome } from './outcome.js';
import { proxyRead } from './read-path.js';
import type { Upstreams } from './upstreams.js';
import type { VersionClock } from './version-clock.js';
import { proxyWrite } from './write-path.js';

export type { Outcome } from './outcome.js';

export interface UpstreamRequest extends NodeRequest {
  /** the client's upload, unread, for PUT and POST */
  body?: Readable | undefined;
  /** called once, just before the upload is read (the route sends the client its `100 Continue` there) */
  beforeBody?: () => void;
}

export interface BlobProxyOptions {
  registry: NodeRegistry;
  upstreams: Upstreams;
  metrics: ProxyMetrics;
  clock: VersionClock;
  /** UPSTREAM_TIMEOUT_MS: for an answer's headers, and for any silence while a body streams */
  timeoutMs: number;
  /** WRITE_QUORUM; capped at the effective R of each request */
  writeQuorum: number;
  rebalance: RebalanceControl;
}

export class BlobProxy {
  constructor(private readonly options: BlobProxyOptions) {}

  read(id: string, placement: Placement, request: UpstreamRequest): Promise<Outcome> {
    return proxyRead(this.options, id, placement, request);
  }

  /** PUT, POST (with a body) and DELETE. */
  write(id: string, placement: Placement, request: UpstreamRequest): Promise<Outcome> {
    const { body } = request;
    return body === undefined
      ? proxyDelete(this.options, id, placement, request)
      : proxyWrite(this.options, id, placement, { ...request, body });
  }
}
