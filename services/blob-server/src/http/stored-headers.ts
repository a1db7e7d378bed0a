// Which request headers are stored with a blob, and the limits on them: Content-Type (application/octet-stream
// when absent) and every x-rebase-* header, names lower-cased. Both limits are checked from the headers alone,
// before a byte of the body is read.
import type { IncomingHttpHeaders } from 'node:http';
import { HttpProblem } from '@backend-rebase/service-kit';

export interface StoredHeaderLimits {
  maxHeaderCount: number;
  maxHeaderLength: number;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const STORED_PREFIX = 'x-rebase-';
const PRINTABLE_ASCII = /^[\t\x20-\x7e]*$/;

/** The headers to store, in the order received; throws a 431 or 400 problem naming the limit broken. */
export function storedHeadersOf(
  request: IncomingHttpHeaders,
  limits: StoredHeaderLimits,
): Record<string, string> {
  const stored: Record<string, string> = { 'content-type': request['content-type'] ?? DEFAULT_CONTENT_TYPE };
  for (const [name, value] of Object.entries(request)) {
    if (name.startsWith(STORED_PREFIX) && value !== undefined) {
      stored[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }

  const names = Object.keys(stored);
  if (names.length > limits.maxHeaderCount) {
    throw new HttpProblem(
      431,
      `the request has ${names.length} stored headers (Content-Type and x-rebase-*); MAX_HEADER_COUNT is ${limits.maxHeaderCount}`,
    );
  }
  for (const [name, value] of Object.entries(stored)) {
    if (name.length + value.length > limits.maxHeaderLength) {
      throw new HttpProblem(
        431,
        `the stored header ${name} is ${name.length + value.length} characters (name + value); MAX_HEADER_LENGTH is ${limits.maxHeaderLength}`,
      );
    }
    if (!PRINTABLE_ASCII.test(value)) {
      throw new HttpProblem(400, `the value of the stored header ${name} must be printable ASCII`);
    }
  }
  return stored;
}
