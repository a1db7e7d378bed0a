// /blobs/:id — the blob API of docs/blob-service.md, through the cache (proxy/read-through.ts decides where
// each answer comes from), and PURGE /blobs/:id, which evicts one id and is guarded like /internal/*.
//
// The id goes upstream percent-encoded, so it is always exactly one path segment there; whether it is a valid id
// is upstream's call (its 400 is not stored: only 200s are). Bodies stay streams: the scope's only content-type
// parser hands the request stream over unread, whatever its type.
import type { Readable } from 'node:stream';
import {
  acceptRawBodies,
  HttpProblem,
  REQUEST_ID_HEADER,
  Type,
  type FastifyPluginCallbackTypebox,
} from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  blobAnswers,
  routeBlobMethods,
  type BlobMethod,
  type BlobMethodDescription,
} from '@backend-rebase/blob-contract';
import { upstreamRequestHeaders } from '@backend-rebase/http-proxy';
import { etagMatches } from '../proxy/cache-control.js';
import type { Answer, ReadThrough } from '../proxy/read-through.js';
import type { UpstreamRequest } from '../proxy/upstream.js';

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
    const method = request.method as BlobMethod;
    const hasBody = method === 'PUT' || method === 'POST';
    // The client may leave at any time: stop the upstream request with it.
    const clientGone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableEnded) clientGone.abort();
    });
    const query = request.url.indexOf('?');
    const clientHeaders = upstreamRequestHeaders(request.headers, hasBody);
    const upstream: UpstreamRequest = {
      method,
      path: `/blobs/${encodeURIComponent(id)}${query >= 0 ? request.url.slice(query) : ''}`,
      headers: { ...clientHeaders, [REQUEST_ID_HEADER]: request.id },
      body: hasBody ? ((request.body as Readable | undefined) ?? request.raw) : undefined,
      signal: clientGone.signal,
    };
    const answer =
      hasBody || method === 'DELETE'
        ? await readThrough.write(id, upstream)
        : await readThrough.read(id, upstream, clientHeaders);
    await relay(answer, request, reply, now);
  };

  routeBlobMethods(app, DESCRIBED, handle);

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
      readThrough.invalidate(request.params.id);
      await reply.code(204).send(null);
    },
  });
  done();
};

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
