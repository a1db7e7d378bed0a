// @backend-rebase/http-proxy: shared by the load balancer and the cache proxy, which both relay /blobs requests.
export { downstreamResponseHeaders, upstreamRequestHeaders, type HeaderMap } from './headers.js';
