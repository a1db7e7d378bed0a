// One request to an upstream, as both proxies build and send it. Guarantees:
// - The path is the one the proxy chose (a checked id, never the client's raw path), followed by the client's
//   query byte for byte, so a decoded `%2F` or `..` can never become another path upstream.
// - The headers are the client's end-to-end ones (headers.ts) plus the request id, so upstream's log lines carry
//   the id of the client's request.
// - Connections are reused: HEADs too (sendThrough), which undici would otherwise close after each one.
// - Through undici, one UPSTREAM_TIMEOUT_MS bounds the wait for the answer's headers and every silence while its
//   body streams; a failure rejects with undici's error codes, which upstream-errors.ts classifies.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { REQUEST_ID_HEADER } from '@backend-rebase/service-kit';
import type { Dispatcher } from 'undici';
import type { ClientGoneSignal } from './client-gone.js';
import { upstreamRequestHeaders, type HeaderMap } from './headers.js';

type UpstreamMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

export interface UpstreamRequest {
  method: UpstreamMethod;
  /** path and query, already safe: built by upstreamRequestFor */
  path: string;
  headers: HeaderMap;
  /** aborted when the client goes away (client-gone.ts) */
  signal: ClientGoneSignal;
}

/** Response headers as Node and undici give them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** An upstream's answer; its body must be relayed or drained, so the connection can be reused. */
export interface UpstreamResponse {
  statusCode: number;
  headers: ResponseHeaders;
  body: Readable;
}

/** What the proxy's route knows of the client's request. */
export interface ClientRequest {
  method: string;
  /** the path and query the client sent */
  url: string;
  headers: IncomingHttpHeaders;
  /** the request id (the kit's x-request-id) */
  id: string;
}

/** Whether requests with this method carry a body upstream. */
export function hasBody(method: string): boolean {
  return method === 'PUT' || method === 'POST';
}

/** `path` followed by the query of `url` (everything from its first `?`), untouched. */
export function withQueryOf(path: string, url: string): string {
  const query = url.indexOf('?');
  return query >= 0 ? path + url.slice(query) : path;
}

/** The request that goes to `path` upstream for the client's request. */
export function upstreamRequestFor(
  client: ClientRequest,
  path: string,
  signal: ClientGoneSignal,
): UpstreamRequest {
  return {
    method: client.method as UpstreamMethod,
    path: withQueryOf(path, client.url),
    headers: withRequestId(upstreamRequestHeaders(client.headers, hasBody(client.method)), client.id),
    signal,
  };
}

function withRequestId(headers: HeaderMap, id: string): HeaderMap {
  headers[REQUEST_ID_HEADER] = id;
  return headers;
}

/** Sends `request` through an undici dispatcher (a Pool); rejects with undici's error codes. */
export function sendThrough(
  dispatcher: Dispatcher,
  request: UpstreamRequest & { body?: Readable | undefined },
  timeoutMs: number,
): Promise<Dispatcher.ResponseData> {
  return dispatcher.request({
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: request.body ?? null,
    // undici reads `aborted`, `reason` and add/removeEventListener of it, all a ClientGoneSignal has.
    signal: request.signal,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // undici closes a connection after every HEAD, in case a server sends a body it should not; the upstreams
    // are the project's own Node servers, which never do, so a HEAD (the balancer's version probes, a client's
    // HEAD) reuses its connection like any other request instead of costing a new one.
    ...(request.method === 'HEAD' ? { reset: false } : {}),
  });
}
