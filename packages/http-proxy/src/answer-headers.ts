// The one place that decides the headers of every answer a proxy gives to a proxied request: upstream's answer
// relayed, and the proxy's own problem+json when upstream gave none (relay.ts uses it for both). A header that
// every proxied answer must carry is one line here.
import { downstreamResponseHeaders, type HeaderMap } from './headers.js';
import type { ResponseHeaders } from './upstream-request.js';

/**
 * `upstream`: the answer's headers as upstream sent them (hop-by-hop ones stop here), or none for the proxy's own
 * answers; `endToEnd`: they went through downstreamResponseHeaders already (a cached answer, filtered once when it
 * was stored, not again on every hit); `added`: the proxy's policy headers (the balancer's x-served-by, the
 * cache's x-cache …), which win.
 */
export function proxiedAnswerHeaders(
  upstream: ResponseHeaders,
  added: HeaderMap,
  endToEnd = false,
): HeaderMap {
  // One new map per answer: the filtered copy (or a copy of the stored one), with the added headers written in.
  const headers = endToEnd ? { ...(upstream as HeaderMap) } : downstreamResponseHeaders(upstream);
  for (const name in added) headers[name] = added[name] as string | string[];
  return headers;
}
