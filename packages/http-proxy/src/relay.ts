// The answer to a proxied request, written to the client: upstream's answer relayed, or the proxy's own
// problem+json when upstream gave none. Guarantees:
// - All take their headers from proxiedAnswerHeaders (answer-headers.ts), and nothing else sets one. An answer
//   replayed many times as stored (a cache entry) has them prepared once (replayHeaders), so a replay writes the
//   prepared map and the few headers that change per replay, with no filtering or copy of the map per request.
// - HEAD, 204 and 304 answers go out without a body (RFC 9110 §9.3.2, §15.3.5, §15.4.5); upstream's body is
//   drained instead, so its connection can be reused.
// - A client that went away is not answered: its socket is destroyed, and Fastify does not write to it.
import type { Readable } from 'node:stream';
import { HttpProblem } from '@backend-rebase/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { proxiedAnswerHeaders } from './answer-headers.js';
import type { HeaderMap } from './headers.js';
import type { ResponseHeaders } from './upstream-request.js';

export interface RelayedAnswer {
  status: number;
  /** as upstream sent them (or as a cache kept them) */
  headers: ResponseHeaders;
  /** the headers are end-to-end already (a cache stored them filtered): not filtered again */
  endToEnd?: boolean;
  body: Readable | Buffer;
  /** drains a body that is not relayed; by default a stream is resumed */
  discard?: () => void;
}

/** Relays `answer`, with the proxy's policy headers `added`. */
export async function relayAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: RelayedAnswer,
  added: HeaderMap = {},
): Promise<void> {
  reply.code(answer.status);
  reply.headers(proxiedAnswerHeaders(answer.headers, added, answer.endToEnd));
  if (request.method === 'HEAD' || answer.status === 204 || answer.status === 304) {
    if (answer.discard) answer.discard();
    else if (!Buffer.isBuffer(answer.body)) answer.body.resume();
    await reply.send();
    return;
  }
  await reply.send(answer.body);
}

declare const prepared: unique symbol;

/** Headers prepared once by replayHeaders; frozen, shared by every replay of one stored answer. */
export type ReplayHeaders = Readonly<HeaderMap> & { readonly [prepared]: true };

/**
 * The headers of a stored answer (end-to-end already: filtered once when it was stored) with the proxy's policy
 * headers that are the same on every replay (`fixed`), decided by proxiedAnswerHeaders as every answer's are.
 */
export function replayHeaders(stored: HeaderMap, fixed: HeaderMap): ReplayHeaders {
  return Object.freeze(proxiedAnswerHeaders(stored, fixed, true)) as ReplayHeaders;
}

export interface ReplayedAnswer {
  status: number;
  headers: ReplayHeaders;
  body: Buffer;
}

/**
 * Replays a stored answer with its prepared headers and the ones that change per replay (`added`, which win),
 * the body as one Buffer (Fastify writes head and body with one `end`). Same rules as relayAnswer: HEAD, 204
 * and 304 without a body.
 */
export async function replayAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: ReplayedAnswer,
  added: HeaderMap,
): Promise<void> {
  reply.code(answer.status);
  reply.headers(answer.headers);
  reply.headers(added);
  if (request.method === 'HEAD' || answer.status === 204 || answer.status === 304) {
    await reply.send();
    return;
  }
  await reply.send(answer.body);
}

/**
 * The proxy's own answer when upstream gave none (502, 503, 504): thrown, so the kit's error handler writes and
 * logs the problem+json, with the headers set here.
 */
export function proxyProblem(
  reply: FastifyReply,
  status: number,
  detail: string,
  added: HeaderMap = {},
): never {
  reply.headers(proxiedAnswerHeaders({}, added));
  throw new HttpProblem(status, detail);
}

/** The client went away: nobody to answer, and Fastify must not try to write to the socket. */
export function abandonAnswer(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.destroy();
}
