// The request headers of a write that are checked before its body is read, besides the stored headers:
// Content-Length (required: a body of unknown length cannot be checked against the limits), X-Blob-Version and
// Content-MD5. Each failure is a problem naming the header and the value seen.
import type { IncomingHttpHeaders } from 'node:http';
import { BLOB_VERSION_HEADER } from '@backend-rebase/blob-contract';
import { HttpProblem } from '@backend-rebase/service-kit';

/** A header's text; a header sent several times reads as its values joined, as Node joins most. */
export function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function contentLengthOf(headers: IncomingHttpHeaders): number {
  const text = headers['content-length'];
  if (text === undefined) {
    throw new HttpProblem(
      411,
      'a Content-Length header is required: uploads of unknown length (chunked) are refused',
    );
  }
  // Node's parser has already refused a Content-Length that is not a number.
  return Number(text);
}

/** X-Blob-Version as a number, or undefined when absent. */
export function versionOf(headers: IncomingHttpHeaders): number | undefined {
  const text = headerText(headers, BLOB_VERSION_HEADER);
  if (text === undefined) return undefined;
  const version = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(version)) {
    throw new HttpProblem(
      400,
      `X-Blob-Version must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(text)}`,
    );
  }
  return version;
}

/** The hex MD5 a Content-MD5 header (base64 of the 16-byte digest) promises, or undefined when absent. */
export function expectedMd5Of(headers: IncomingHttpHeaders): string | undefined {
  const text = headerText(headers, 'content-md5');
  if (text === undefined) return undefined;
  const digest = /^[A-Za-z0-9+/]{22}==$/.test(text.trim()) ? Buffer.from(text.trim(), 'base64') : undefined;
  if (digest?.length !== 16) {
    throw new HttpProblem(
      400,
      `Content-MD5 must be the base64 of a 16-byte MD5 digest, got ${JSON.stringify(text)}`,
    );
  }
  return digest.toString('hex');
}
