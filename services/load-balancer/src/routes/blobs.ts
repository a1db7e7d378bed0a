// /blobs/:id — the blob API of docs/blob-service.md, proxied to the R nodes the ring names for the id
// (proxy/blob-proxy.ts decides whom to ask and which answer to relay: writes and deletes go to every owner, or
// its stand-in, and are acknowledged at WRITE_QUORUM; reads come from a node holding the newest version). Every
// method and header of the contract passes through; other methods are 405 (the kit's not-found handler, with an
// Allow header). Bodies stay streams: the scope's only content-type parser hands the request stream over unread,
// whatever its type, and a write answered before its upload was read closes the connection (the kit's lingering
// close).
//
// The id is checked here with the blob server's character rule, so the path that goes upstream is always
// exactly `/blobs/<id>`: a decoded `%2F` or `..` can never turn into another path on the node. Its length is
// left to the node, whose MAX_ID_LENGTH it is.
import type { Readable } from 'node:stream';
import {
  blobAnswers,
  invalidIdReason,
  refuseBadBlobPaths,
  requireContentLength,
  routeBlobMethods,
  type BlobMethod,
  type BlobMethodDescription,
} from '@backend-rebase/blob-contract';
import {
  acceptRawBodies,
  HttpProblem,
  sendContinue,
  Type,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { NodeRegistry } from '../cluster/node-registry.js';
import { placementOf } from '../cluster/placement.js';
import type { BlobProxy, Outcome, UpstreamRequest } from '../proxy/blob-proxy.js';
import {
  abandonAnswer,
  clientGoneSignal,
  hasBody as carriesBody,
  proxyProblem,
  relayAnswer,
  upstreamRequestFor,
} from '@backend-rebase/http-proxy';

export interface BlobRoutesOptions {
  registry: NodeRegistry;
  proxy: BlobProxy;
  replicationFactor: number;
  /** why /blobs is not served yet (the course-mode registration window), or undefined */
  notServingYet: () => string | undefined;
}

// The node's answer is relayed as it is, with X-Served-By added; the balancer's own answers are the problems when
// no node can give one.
const ANSWERS = blobAnswers({
  addedHeaders: { 'x-served-by': Type.String({ description: 'the blob server that answered' }) },
  proxy: true,
});
const DESCRIBED: Record<BlobMethod, BlobMethodDescription> = {
  GET: {
    summary: 'Read the newest version of a blob from a node that holds it (X-Served-By names the node)',
    response: ANSWERS.read,
  },
  HEAD: { summary: "Read the newest version's headers from a node that holds it", response: ANSWERS.read },
  PUT: {
    summary:
      'Store a blob on the R nodes that own its id (or stand-ins for those down), stamped with X-Blob-Version; acknowledged once WRITE_QUORUM stored it',
    response: ANSWERS.write,
  },
  POST: { summary: 'Store a blob, the same as PUT', response: ANSWERS.write },
  DELETE: {
    summary:
      'Delete a blob on the R nodes that own its id (or stand-ins), stamped with X-Blob-Version; acknowledged once WRITE_QUORUM applied it',
    response: ANSWERS.delete,
  },
};

export const blobRoutes: FastifyPluginAsyncTypebox<BlobRoutesOptions> = async (app, options) => {
  const { registry, proxy } = options;

  acceptRawBodies(app);
  const isHealthy = (name: string) => registry.isHealthy(name);

  const handle = async (request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> => {
    const reason = invalidIdReason(id);
    if (reason) throw new HttpProblem(400, reason);
    // No node can answer: the balancer's own answer in the nodes' place, with every proxied answer's headers.
    const waiting = options.notServingYet();
    if (waiting) proxyProblem(reply, 503, waiting);
    if (registry.healthyCount === 0) {
      proxyProblem(
        reply,
        503,
        registry.size === 0
          ? 'no blob server has registered yet'
          : `none of the ${registry.size} registered blob servers is healthy`,
      );
    }

    const method = request.method as BlobMethod;
    const hasBody = carriesBody(method);
    if (hasBody) requireContentLength(request);
    const upstream: UpstreamRequest = upstreamRequestFor(
      request,
      `/blobs/${id}`,
      clientGoneSignal(reply.raw),
    );
    upstream.body = hasBody ? ((request.body as Readable | undefined) ?? request.raw) : undefined;
    if (hasBody) upstream.beforeBody = () => sendContinue(request);
    const placement = placementOf(registry.ring, isHealthy, id, options.replicationFactor);
    const outcome =
      method === 'GET' || method === 'HEAD'
        ? await proxy.read(id, placement, upstream)
        : await proxy.write(id, placement, upstream);
    await relay(outcome, request, reply);
  };

  routeBlobMethods(app, DESCRIBED, handle);

  refuseBadBlobPaths(app); // never reaches a node
};

/** The chosen node's answer, with X-Served-By naming the node. */
async function relay(outcome: Outcome, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (outcome.kind === 'client-gone') {
    abandonAnswer(reply);
    return;
  }
  // A write answered without reading its upload (a node's refusal, a conflict, too few nodes), like the
  // balancer's own 400 and 411 above, closes the client's connection with the kit's lingering close: the answer
  // goes out whole with `Connection: close`, and the unwanted body is read and discarded within its bounds, so
  // a client still sending gets the answer instead of a reset. The body never went to a node.
  if (outcome.kind === 'failed') proxyProblem(reply, outcome.status, outcome.detail);
  const { answer } = outcome;
  await relayAnswer(request, reply, answer, { 'x-served-by': answer.node });
}
