// `Expect: 100-continue` (RFC 9110 §10.1.1): a client that sends it waits for `100 Continue` before it sends
// the body, so an upload the server would refuse from its headers alone is never sent. Node answers 100 by
// itself, before any routing, unless the server listens for 'checkContinue'; the kit listens, and hands such a
// request to Fastify like any other. Then:
//   - every route sends 100 as soon as the request has passed the kit's own onRequest checks (the /internal
//     guard, shutdown), as Node did;
//   - a route with `config: { deferContinue: true }` sends it itself, by calling sendContinue(request) once it
//     has decided, from the headers, to read the body. Such a route must take the body as a stream
//     (acceptRawBodies): a parser would wait for a body the client has not sent.
// An answer given without a 100 is final and the body never came, or is still coming (a client may send it
// anyway after a timeout): such an answer carries `Connection: close`, so the connection is not reused with
// the unread body in the way, and the connection ends with the kit's lingering close (lingering-close.ts), so
// a body sent anyway is read and dropped instead of turning the answer into a reset. curl and node:http read
// such a refusal during 2 and 10 MiB uploads (test/lingering-close.test.ts); undici never sends Expect.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { routeFactsOf, type RequestHooks } from './request-hooks.js';
import type { Service } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the handler sends `100 Continue` itself, with sendContinue, once it will read the body */
    deferContinue?: boolean;
  }
}

/** Requests whose client waits for a 100 that has not been sent yet, with their responses. */
const awaitingContinue = new WeakMap<IncomingMessage, ServerResponse>();

export function handleExpectContinue(app: Service, hooks: RequestHooks): void {
  app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    awaitingContinue.set(request, response);
    // Merged into whatever the route answers; taken back when the 100 is sent.
    response.setHeader('connection', 'close');
    app.server.emit('request', request, response);
  });
  hooks.onRequest((request) => {
    // Nearly no request waits for a 100: the route's config is read only for one that does.
    if (awaitingContinue.has(request.raw) && routeFactsOf(request).config.deferContinue !== true) {
      sendContinue(request);
    }
    return undefined;
  });
}

/**
 * Sends `100 Continue` if the client asked for it and has not had it yet; otherwise does nothing. Call it just
 * before reading the body of a route with `config: { deferContinue: true }`.
 */
export function sendContinue(request: FastifyRequest): void {
  const response = awaitingContinue.get(request.raw);
  if (response === undefined) return;
  awaitingContinue.delete(request.raw);
  if (response.headersSent) return;
  response.removeHeader('connection');
  response.writeContinue();
}
