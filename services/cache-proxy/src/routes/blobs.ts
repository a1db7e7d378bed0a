// /blobs/:id — the blob API of docs/blob-service.md, through the cache (proxy/read-through.ts decides where
// each answer comes from), and PURGE /blobs/:id, which evicts one id and is guarded like /internal/*.
//
// The id is checked here with the blob server's rule (characters, and at most MAX_ID_LENGTH_CEILING characters:
// no node accepts a longer one), as the load balancer does, so a bad id is a 400 problem+json that never goes
// upstream and never becomes a cache key; `/blobs/a/b` and `/blobs/` are bad ids too. A node may still refuse an
// id under the ceiling that is over its own MAX_ID_LENGTH: its 400 is relayed, never stored (only 200s are).
// Bodies stay streams: the scope's only content-type parser hands the request stream over unread, whatever its
// type. Writes refused from their headers (400, 411) get no `100 Continue`, so a client that asked for one never
// sends the body; a client that sends it anyway gets the answer, and the kit's lingering close drains the body.
import { Readable } from 'node:stream';
import {
  acceptRawBodies,
  HttpProblem,
  REQUEST_ID_HEADER,
  sendContinue,
  Type,
  type FastifyPluginCallbackTypebox,
} from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  blobAnswers,
  invalidIdReason,
  refuseBadBlobPaths,
  requireContentLength,
  routeBlobMethods,
  type BlobMethod,
  type BlobMethodDescription,
} from '@backend-rebase/blob-contract';
import { upstreamRequestHeaders } from '@backend-rebase/http-proxy';
import { etagMatches } from '../proxy/cache-control.js';
import type { Answer, ReadThrough } from '../proxy/read-through.js';
import { readEarlyAnswer, Upload } from '../proxy/upload.js';
import type { UpstreamRequest } from '../proxy/upstream.js';

/** The blob server's MAX_ID_LENGTH can be at most 255: a longer id is refused here whatever the node's setting. */
export const MAX_ID_LENGTH_CEILING = 255;

function checkedId(id: string): string {
  const reason = invalidIdReason(id, MAX_ID_LENGTH_CEILING);
  if (reason) throw new HttpProblem(400, reason);
  return id;
}

export interface BlobRoutesOptions {
  readThrough: ReadThrough;
  now: () => number;
}

// Upstream's answer is relayed as it is (from memory on a hit), with the cache's headers added; the proxy's own
// answers are the problems when upstream gives none.
const ANSWERS = blobAnswers({
  addedHeaders: {
    'x-cache': Type.String({ description: '`HIT`, `MISS` or `BYPASS`' }),
    'cache-status': Type.String({ description: 'RFC 9211: `rebase-cache; hit`, or `rebase-cache; fwd=…`' }),
    age: Type.String({ description: 'seconds since the cached copy arrived (hits only)' }),
  },
  proxy: true,
});
const DESCRIBED: Record<BlobMethod, BlobMethodDescription> = {
  GET: {
    summary: 'Read a blob: from memory on a hit, else from upstream (one request per id)',
    response: ANSWERS.read,
  },
  HEAD: {
    summary: "Read a blob's headers: from memory on a hit, else from upstream",
    response: ANSWERS.read,
  },
  PUT: {
    summary: 'Store a blob upstream; the cached copy is dropped once upstream answers',
    response: ANSWERS.write,
  },
  POST: { summary: 'Store a blob, the same as PUT', response: ANSWERS.write },
  DELETE: {
    summary: 'Delete a blob upstream; the cached copy is dropped once upstream answers',
    response: ANSWERS.delete,
  },
};

const IdParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1 } },
  required: ['id'],
} as const;

export const blobRoutes: FastifyPluginCallbackTypebox<BlobRoutesOptions> = (app, options, done) => {
  const { readThrough, now } = options;

  acceptRawBodies(app);

  const handle = async (request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> => {
    checkedId(id);
    const method = request.method as BlobMethod;
    const hasBody = method === 'PUT' || method === 'POST';
    if (hasBody) requireContentLength(request);
    // A read waits for upstream (its headers within UPSTREAM_TIMEOUT_MS, or a fill it joined), with nothing moving
    // on the client's connection: the kit's idle bound (HTTP_IDLE_TIMEOUT) must not count that wait, only the
    // answer's writes. An upload keeps the bound throughout: a body that stops is the client's doing.
    const socket = request.raw.socket;
    const idleMs = socket.timeout ?? 0;
    if (!hasBody && idleMs > 0) socket.setTimeout(0);
    // The client may leave at any time: stop the upstream request with it.
    const clientGone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableEnded) clientGone.abort();
    });
    const query = request.url.indexOf('?');
    const clientHeaders = upstreamRequestHeaders(request.headers, hasBody);
    let upload: Upload | undefined;
    // A client waiting for `100 Continue` gets it when upstream sends its own, so an upload that upstream refuses
    // from the headers is never sent; any other client is sending its body already.
    const awaitsContinue = hasBody && request.headers.expect?.toLowerCase() === '100-continue';
    if (hasBody) {
      upload = new Upload((request.body as Readable | undefined) ?? request.raw);
      if (!awaitsContinue) sendContinue(request);
    }
    const upstream: UpstreamRequest = {
      method,
      path: `/blobs/${encodeURIComponent(id)}${query >= 0 ? request.url.slice(query) : ''}`,
      headers: { ...clientHeaders, [REQUEST_ID_HEADER]: request.id },
      body: upload?.toUpstream,
      signal: clientGone.signal,
      uploadBroke: () => upload?.clientBroke ?? false,
      ...(awaitsContinue ? { onContinue: () => sendContinue(request) } : {}),
    };
    let answer =
      hasBody || method === 'DELETE'
        ? await readThrough.write(id, upstream)
        : await readThrough.read(id, upstream, clientHeaders);
    if (upload && answer.kind === 'stream' && !request.raw.complete) {
      answer = await answeredEarly(answer, upload);
    }
    if (!hasBody && idleMs > 0 && !socket.destroyed) socket.setTimeout(idleMs);
    await relay(answer, request, reply, now);
  };

  routeBlobMethods(app, DESCRIBED, handle);

  refuseBadBlobPaths(app); // never goes upstream

  app.route({
    method: 'PURGE',
    url: '/blobs/:id',
    config: { internal: true }, // the kit's /internal guard: INTERNAL_TOKEN bearer, or loopback when unset
    schema: {
      tags: ['cache'],
      summary: 'Evicts one id from the cache (internal: INTERNAL_TOKEN bearer, or loopback when unset)',
      params: IdParams,
      response: { 204: Type.Null({ description: 'evicted (also when it was not cached)' }) },
    },
    handler: async (request, reply) => {
      readThrough.invalidate(checkedId(request.params.id));
      await reply.code(204).send(null);
    },
  });
  done();
};

/**
 * Upstream answered a write before the whole upload reached it (a refusal from its headers): its answer is read
 * whole, then the upload to upstream is stopped (upload.ts). The answer goes to the client with `Connection:
 * close`, and the kit's lingering close drains the rest of the client's body.
 */
async function answeredEarly(answer: Extract<Answer, { kind: 'stream' }>, upload: Upload): Promise<Answer> {
  const body = await readEarlyAnswer(answer.body);
  upload.stop();
  if (body === undefined) {
    return {
      kind: 'failed',
      status: 502,
      detail: `upstream answered ${answer.status} before the upload was complete, and its answer could not be relayed`,
    };
  }
  // Whole now: its length is known (upstream may have sent it chunked).
  const headers = { ...answer.headers, 'content-length': String(body.length) };
  return { ...answer, headers, body: Readable.from([body]), upstreamCloses: true };
}

async function relay(answer: Answer, request: FastifyRequest, reply: FastifyReply, now: () => number) {
  if (answer.kind === 'client-gone') {
    // Nobody to answer: the socket is closed already or about to be; Fastify must not try to write to it.
    reply.hijack();
    reply.raw.destroy();
    return;
  }
  if (answer.kind === 'failed') throw new HttpProblem(answer.status, answer.detail);
  if (answer.kind === 'memory') {
    const { response } = answer;
    reply.headers(response.headers);
    reply.header('x-cache', answer.xCache);
    reply.header('cache-status', answer.cacheStatus);
    reply.header('age', String(Math.max(0, Math.floor((now() - response.storedAt) / 1000))));
    const ifNoneMatch = request.headers['if-none-match'];
    if (response.status === 200 && etagMatches(ifNoneMatch, response.etag)) {
      reply.code(304).removeHeader('content-length').removeHeader('content-type');
      await reply.send();
      return;
    }
    reply.code(response.status);
    await reply.send(request.method === 'HEAD' ? undefined : response.body);
    return;
  }
  reply.code(answer.status);
  reply.headers(answer.headers);
  // Upstream closes its connection after this answer (a refusal it did not read the body of): so does the proxy.
  if (answer.upstreamCloses) reply.header('connection', 'close');
  if (answer.xCache) reply.header('x-cache', answer.xCache);
  if (answer.cacheStatus) reply.header('cache-status', answer.cacheStatus);
  if (request.method === 'HEAD' || answer.status === 204 || answer.status === 304) {
    // Drain the body so the connection goes back to the pool (a HEAD answer has none).
    answer.body.resume();
    await reply.send();
    return;
  }
  await reply.send(answer.body);
}
