// Why an upstream gave no answer, from the error undici or node:http failed with, and the status a proxy answers
// for it. Guarantees: a connection that could not be made is `unreachable`, one that went silent for longer than
// its timeout is `timeout`, anything else (reset, closed mid-answer, an unreadable answer) is `broken`; and a
// `timeout` is a 504, every other failure a 502 (the balancer refines unreachable into 503, its own policy).
export type FailureKind = 'unreachable' | 'timeout' | 'broken';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** The error's `code`, when it has a string one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function failureKind(error: unknown): FailureKind {
  const code = errorCode(error);
  if (code !== undefined && UNREACHABLE.has(code)) return 'unreachable';
  if (code !== undefined && TIMEOUT.has(code)) return 'timeout';
  return 'broken';
}

/** The gateway status for a failure: 504 when upstream was too slow, else 502. */
export function gatewayStatus(kind: FailureKind): 502 | 504 {
  return kind === 'timeout' ? 504 : 502;
}
