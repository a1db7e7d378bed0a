// Every request has an id that follows it through the system: taken from an incoming `x-request-id` when it is
// sane (visible ASCII, at most 128 characters, so it cannot forge log lines or headers), otherwise a fresh UUID.
// It is echoed on every response (errors and 404s included), bound to every log line of the request, and sent
// on outgoing calls with forwardHeaders().
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { Service } from './service.js';

export const REQUEST_ID_HEADER = 'x-request-id';

const SANE_ID = /^[\x21-\x7e]{1,128}$/;

/** Fastify's `genReqId`. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
}

export function echoRequestId(app: Service): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
}

/** Headers for a call this request makes to another service: `fetch(url, { headers: forwardHeaders(request) })`. */
export function forwardHeaders(request: FastifyRequest): { [REQUEST_ID_HEADER]: string } {
  return { [REQUEST_ID_HEADER]: request.id };
}
