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

export type HeaderMap = Record<string, string | string[]>;

/** The headers named by `Connection`, lower-cased. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

function endToEnd(
  headers: Record<string, string | string[] | undefined>,
  alsoDrop: ReadonlySet<string>,
): HeaderMap {
  const named = connectionTokens(headers.connection);
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || named.has(lower) || alsoDrop.has(lower)) {
      continue;
    }
    out[lower] = value;
  }
  return out;
}

const NOT_UPSTREAM = new Set(['host', 'expect']);
const NOT_UPSTREAM_WITHOUT_BODY = new Set(['host', 'expect', 'content-length']);

/** The client's headers as they go to a node. */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, hasBody: boolean): HeaderMap {
  return endToEnd(headers, hasBody ? NOT_UPSTREAM : NOT_UPSTREAM_WITHOUT_BODY);
}

const NONE = new Set<string>();

/** A node's response headers as they go to the client. */
export function downstreamResponseHeaders(headers: Record<string, string | string[] | undefined>): HeaderMap {
  return endToEnd(headers, NONE);
}
