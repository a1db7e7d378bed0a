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
  sendContinue,
  Type,
  type Clock,
  type FastifyPluginAsyncTypebox,
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
import {
  abandonAnswer,
  clientGoneSignal,
  hasBody as carriesBody,
  proxyProblem,
  readEarlyAnswer,
  relayAnswer,
  replayAnswer,
  replayHeaders,
  upstreamRequestFor,
  type HeaderMap,
  type ReplayHeaders,
} from '@backend-rebase/http-proxy';
import type { CachedResponse } from '../cache/response-cache.js';
import { etagMatches } from '../proxy/cache-control.js';
import type { Answer, MemoryAnswer, ReadThrough } from '../proxy/read-through.js';
import { Upload } from '../proxy/upload.js';
import type { UpstreamRequest } from '../proxy/upstream.js';

/** The blob server's MAX_ID_LENGTH can be at most 255: a longer id is refused here whatever the node's setting. */
const MAX_ID_LENGTH_CEILING = 255;

function checkedId(id: string): string {
  const reason = invalidIdReason(id, MAX_ID_LENGTH_CEILING);
  if (reason) throw new HttpProblem(400, reason);
  return id;
}

export interface BlobRoutesOptions {
  readThrough: ReadThrough;
  now: Clock;
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

export const blobRoutes: FastifyPluginAsyncTypebox<BlobRoutesOptions> = async (app, options) => {
  const { readThrough, now } = options;

  acceptRawBodies(app);

  const handle = async (request: FastifyRequest, reply: FastifyReply, id: string): Promise<void> => {
    checkedId(id);
    const method = request.method as BlobMethod;
    if (method === 'GET' || method === 'HEAD') {
      // A hit first: it needs no upstream request, no client-gone signal and no change to the idle bound.
      const hit = readThrough.hit(id, request.headers);
      if (hit) {
        await relayMemory(hit, request, reply, now);
        return;
      }
    }
    const hasBody = carriesBody(method);
    if (hasBody) requireContentLength(request);
    // A read waits for upstream (its headers within UPSTREAM_TIMEOUT_MS, or a fill it joined), with nothing moving
    // on the client's connection: the kit's idle bound (HTTP_IDLE_TIMEOUT) must not count that wait, only the
    // answer's writes. An upload keeps the bound throughout: a body that stops is the client's doing.
    const socket = request.raw.socket;
    const idleMs = socket.timeout ?? 0;
    if (!hasBody && idleMs > 0) socket.setTimeout(0);
    let upload: Upload | undefined;
    // A client waiting for `100 Continue` gets it when upstream sends its own, so an upload that upstream refuses
    // from the headers is never sent; any other client is sending its body already.
    const awaitsContinue = hasBody && request.headers.expect?.toLowerCase() === '100-continue';
    if (hasBody) {
      upload = new Upload((request.body as Readable | undefined) ?? request.raw);
      if (!awaitsContinue) sendContinue(request);
    }
    const upstream: UpstreamRequest = {
      // The id percent-encoded, so it stays one path segment.
      ...upstreamRequestFor(request, `/blobs/${encodeURIComponent(id)}`, clientGoneSignal(reply.raw)),
      body: upload?.toUpstream,
      uploadBroke: () => upload?.clientBroke ?? false,
      ...(awaitsContinue ? { onContinue: () => sendContinue(request) } : {}),
    };
    let answer =
      hasBody || method === 'DELETE'
        ? await readThrough.write(id, upstream)
        : await readThrough.read(id, upstream);
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

/** The answer, with the cache's headers: what the client is told about where it came from. */
async function relay(answer: Answer, request: FastifyRequest, reply: FastifyReply, now: Clock) {
  if (answer.kind === 'client-gone') {
    abandonAnswer(reply);
    return;
  }
  if (answer.kind === 'failed') proxyProblem(reply, answer.status, answer.detail);
  if (answer.kind === 'memory') {
    await relayMemory(answer, request, reply, now);
    return;
  }
  const added: HeaderMap = {};
  // Upstream closes its connection after this answer (a refusal it did not read the body of): so does the proxy.
  if (answer.upstreamCloses) added.connection = 'close';
  if (answer.xCache) added['x-cache'] = answer.xCache;
  if (answer.cacheStatus) added['cache-status'] = answer.cacheStatus;
  await relayAnswer(request, reply, answer, added);
}

/**
 * A hit's headers: the entry's stored ones with X-Cache and Cache-Status, prepared on the entry's first hit and
 * kept as long as the entry is, so every later hit writes them without filtering or copying a map.
 */
const hitHeaders = new WeakMap<CachedResponse, ReplayHeaders>();

/** An answer from memory (a hit, or a fill shared with this request), with the cache's headers. */
async function relayMemory(answer: MemoryAnswer, request: FastifyRequest, reply: FastifyReply, now: Clock) {
  const { response } = answer;
  const age = String(Math.max(0, Math.floor((now() - response.storedAt) / 1000)));
  if (response.status === 200 && etagMatches(request.headers['if-none-match'], response.etag)) {
    const { 'content-length': _length, 'content-type': _type, ...headers } = response.headers;
    const notModified = { status: 304, headers, body: response.body, endToEnd: true };
    await relayAnswer(request, reply, notModified, cacheHeaders(answer, age));
    return;
  }
  if (answer.xCache === 'HIT') {
    let headers = hitHeaders.get(response);
    if (headers === undefined) {
      headers = replayHeaders(response.headers, { 'x-cache': 'HIT', 'cache-status': answer.cacheStatus });
      hitHeaders.set(response, headers);
    }
    await replayAnswer(request, reply, { status: response.status, headers, body: response.body }, { age });
    return;
  }
  await relayAnswer(
    request,
    reply,
    { status: response.status, headers: response.headers, body: response.body, endToEnd: true },
    cacheHeaders(answer, age),
  );
}

function cacheHeaders(answer: MemoryAnswer, age: string): HeaderMap {
  return { 'x-cache': answer.xCache, 'cache-status': answer.cacheStatus, age };
}
