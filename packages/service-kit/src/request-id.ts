// Every request has an id that follows it through the system: taken from an incoming `x-request-id` when it is
// sane (visible ASCII, at most 128 characters, so it cannot forge log lines or headers), otherwise a fresh UUID.
// It is echoed on every response (errors and 404s included) and bound to every log line of the request
// (request.logger); the proxies send it upstream (@backend-rebase/http-proxy).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHooks } from './request-hooks.js';

export const REQUEST_ID_HEADER = 'x-request-id';

const SANE_ID = /^[\x21-\x7e]{1,128}$/;

/** Fastify's `genReqId`. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
}

export function echoRequestId(hooks: RequestHooks): void {
  hooks.onRequest((request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    return undefined;
  });
}
