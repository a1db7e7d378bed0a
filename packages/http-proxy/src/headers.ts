// Which headers cross a proxy (the load balancer, the cache proxy). Hop-by-hop headers describe one connection,
// not the message (RFC 9110 §7.6.1), so they stop at the proxy in both directions: the fixed list of the contract plus any header the
// `Connection` header names. Everything else passes unchanged, with three exceptions on the way up:
// - `host` is the upstream's own (undici sets it), as a node may check it;
// - `expect` is answered by the proxy's own HTTP server (curl sends `Expect: 100-continue` above 1 MiB;
//   Node answers 100 before the handler runs), and undici refuses to send it;
// - content-length/transfer-encoding on a request without a body (GET, HEAD, DELETE) would promise bytes
//   that are not forwarded.
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A `Connection` value that names only a header HOP_BY_HOP drops anyway. */
const ONLY_KEEP_ALIVE = /^\s*keep-alive\s*$/i;

export type HeaderMap = Record<string, string | string[]>;

/**
 * The headers named by `Connection`, lower-cased; undefined when it names none beyond the fixed list (no header,
 * or the `keep-alive` nearly every message carries, recognised without splitting).
 */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || (typeof value === 'string' && ONLY_KEEP_ALIVE.test(value))) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const tokens = new Set<string>();
  for (const token of text.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '') tokens.add(name);
  }
  return tokens;
}

/** Whether a header (lower-case) stops at the proxy, given the headers its `Connection` names. */
function isHopByHop(lower: string, named: ReadonlySet<string> | undefined): boolean {
  return HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || (named !== undefined && named.has(lower));
}

// Runs once or twice per proxied request, so it copies each kept header once into `into` and allocates nothing
// else: no entry arrays, and no token set unless there is a `Connection` header to read.
function endToEnd(
  headers: Record<string, string | string[] | undefined>,
  alsoDrop: ReadonlySet<string>,
  into: HeaderMap,
): HeaderMap {
  const named = connectionTokens(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (!isHopByHop(lower, named) && !alsoDrop.has(lower)) into[lower] = value;
  }
  return into;
}

const NOT_UPSTREAM = new Set(['host', 'expect']);
const NOT_UPSTREAM_WITHOUT_BODY = new Set(['host', 'expect', 'content-length']);

/** The client's headers as they go to a node; written into `into` when given. */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  hasBody: boolean,
  into: HeaderMap = {},
): HeaderMap {
  return endToEnd(headers, hasBody ? NOT_UPSTREAM : NOT_UPSTREAM_WITHOUT_BODY, into);
}

/**
 * One of the client's headers (`name` lower-case; not host, expect or content-length) as upstreamRequestHeaders
 * would pass it on: undefined when it is hop-by-hop or named by `Connection`. For a proxy that decides from one
 * or two headers (a cache hit) without building the whole map.
 */
export function endToEndRequestHeader(
  headers: IncomingHttpHeaders,
  name: string,
): string | string[] | undefined {
  const value = headers[name];
  if (value === undefined || isHopByHop(name, connectionTokens(headers.connection))) return undefined;
  return value;
}

const NONE = new Set<string>();

/** A node's response headers as they go to the client. */
export function downstreamResponseHeaders(headers: Record<string, string | string[] | undefined>): HeaderMap {
  return endToEnd(headers, NONE, {});
}
