// The /blobs/:id routes of a service that relays the blob API (the load balancer, the cache proxy): one route per
// method, so that each has its own OpenAPI description, all sharing the service's one handler. HEAD is a route of
// its own too, shown in the documents, instead of Fastify's hidden copy of GET. Uploads (PUT, POST) defer their
// `100 Continue` to the handler, and need a Content-Length (requireContentLength).
import { HttpProblem, type Service } from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidIdReason } from './ids.js';

const BLOB_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const;
export type BlobMethod = (typeof BLOB_METHODS)[number];

/** What the OpenAPI document says of one method: its summary and its answers (see blobAnswers). */
export interface BlobMethodDescription {
  summary: string;
  response: object;
}

const IdParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1 } },
  required: ['id'],
} as const;

export function routeBlobMethods(
  app: Pick<Service, 'route'>,
  described: Record<BlobMethod, BlobMethodDescription>,
  handle: (request: FastifyRequest, reply: FastifyReply, id: string) => Promise<void>,
): void {
  for (const method of BLOB_METHODS) {
    app.route({
      method,
      url: '/blobs/:id',
      exposeHeadRoute: false,
      // An upload's `100 Continue` is the relay's to send (sendContinue), once it knows upstream wants the body.
      config: { swagger: { exposeHeadRoute: true }, deferContinue: method === 'PUT' || method === 'POST' },
      schema: { tags: ['blobs'], ...described[method], params: IdParams },
      handler: (request, reply) => handle(request, reply, request.params.id),
    });
  }
}

/**
 * A path under /blobs/ that is not one id (`/blobs/a/b`, `/blobs/../x`, `/blobs/`) is a bad id (400 naming what is
 * wrong), not a missing route, on every service that speaks the blob API; it never goes further.
 */
export function refuseBadBlobPaths(app: Pick<Service, 'route'>, maxIdLength = Infinity): void {
  app.route({
    method: [...BLOB_METHODS],
    url: '/blobs/*',
    exposeHeadRoute: false,
    schema: { hide: true },
    handler: (request) => {
      const rest = (request.params as { '*': string })['*'];
      throw new HttpProblem(
        400,
        invalidIdReason(rest, maxIdLength) ?? `the blob id ${JSON.stringify(rest)} is not valid`,
      );
    },
  });
}

/**
 * An upload of unknown length (chunked) is refused with 411 before a byte of it is read, as the blob server
 * refuses it: a relay would otherwise forward a small chunked body that has already arrived with a
 * Content-Length of its own, and the node's answer would depend on timing.
 */
export function requireContentLength(request: Pick<FastifyRequest, 'headers'>): void {
  if (request.headers['content-length'] === undefined) {
    throw new HttpProblem(
      411,
      'a Content-Length header is required: uploads of unknown length (chunked) are refused',
    );
  }
}
