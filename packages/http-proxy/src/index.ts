// @backend-rebase/http-proxy: the plumbing the load balancer and the cache proxy share to relay /blobs requests;
// each proxy keeps only its policy (placement and failover, caching).
export { proxiedAnswerHeaders } from './answer-headers.js';
export { clientGoneSignal, type ClientGoneSignal } from './client-gone.js';
export { HttpAgents, upstreamPool, uploadAgent } from './connections.js';
export { ContinueUpload, type ContinueFailure, type ContinueUploadOptions } from './continue-upload.js';
export { MAX_EARLY_ANSWER_BYTES, readEarlyAnswer } from './early-answer.js';
export {
  downstreamResponseHeaders,
  endToEndRequestHeader,
  upstreamRequestHeaders,
  type HeaderMap,
} from './headers.js';
export {
  abandonAnswer,
  proxyProblem,
  relayAnswer,
  replayAnswer,
  replayHeaders,
  type ReplayHeaders,
} from './relay.js';
export { errorCode, failureKind, gatewayStatus, type FailureKind } from './upstream-errors.js';
export {
  hasBody,
  sendThrough,
  upstreamRequestFor,
  withQueryOf,
  type ResponseHeaders,
  type UpstreamRequest,
  type UpstreamResponse,
} from './upstream-request.js';
