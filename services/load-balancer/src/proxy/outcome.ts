// The shapes every path of the proxy hands back, and the few rules they share: what an answer from a node is
// (status, headers, a body stream the route relays or discards), why a node gave none (http-proxy's
// failureKind: unreachable, too slow, broke off), which HTTP status a set of failures becomes (the balancer's
// policy: 503 when no node could be reached), and how a version is read from an answer.
import type { Readable } from 'node:stream';
import { BLOB_VERSION_HEADER } from '@backend-rebase/blob-contract';
import type { FailureKind, ResponseHeaders } from '@backend-rebase/http-proxy';

export type { FailureKind };

/** One node's answer. Its body must be relayed or discarded, so the connection can be reused. */
export interface Answer {
  node: string;
  status: number;
  headers: ResponseHeaders;
  body: Readable;
  discard(): void;
}

export interface NodeFailure {
  node: string;
  failure: FailureKind;
  reason: string;
}

/** What one request to one node came to. */
export type Attempt =
  { kind: 'answered'; answer: Answer } | ({ kind: 'failed' } & NodeFailure) | { kind: 'client-gone' };

/** What the route relays. */
export type Outcome =
  | { kind: 'answered'; answer: Answer }
  | { kind: 'failed'; status: 502 | 503 | 504; detail: string }
  | { kind: 'client-gone' };

/** The status for a set of failures: 504 if a node was too slow, 503 if none could be reached, else 502. */
export function statusFor(failures: readonly FailureKind[]): 502 | 503 | 504 {
  if (failures.includes('timeout')) return 504;
  return failures.every((kind) => kind === 'unreachable') ? 503 : 502;
}

/**
 * An answer a node gives because of the request itself (4xx), or because it is full (507): the same request
 * elsewhere would get the same, so it is final and never a reason to try another node.
 */
export function isRefusal(status: number): boolean {
  return (status >= 400 && status < 500) || status === 507;
}

/** The X-Blob-Version of an answer, when it carries a valid one. */
export function versionOf(headers: ResponseHeaders): number | undefined {
  const value = headers[BLOB_VERSION_HEADER];
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return undefined;
  const version = Number(value);
  return Number.isSafeInteger(version) ? version : undefined;
}

/** "a: reason; b: reason" for a problem's detail. */
export function describeFailures(failures: readonly NodeFailure[]): string {
  return failures.map(({ node, reason }) => `${node}: ${reason}`).join('; ');
}
