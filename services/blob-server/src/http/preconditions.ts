// Conditional requests (RFC 9110 §13) on the entity tag, the quoted hex MD5 of the body.
//   writes and deletes: If-Match (`*` or a list; strong comparison, so a weak tag never matches) fails when the
//     blob is missing or its tag is not listed; If-None-Match (`*` or a list) fails when the blob exists and matches.
//   reads: If-None-Match (weak comparison) gives 304; without it, If-Modified-Since does; If-Range decides whether a
//     Range is honoured.
// Failures are reasons in words, for the 412's detail.
import type { IncomingHttpHeaders } from 'node:http';
import type { Precondition } from '../storage/blob-store.js';
import type { IndexEntry } from '../storage/blob-index.js';
import { headerText } from './write-headers.js';

export function etagOf(md5: string): string {
  return `"${md5}"`;
}

interface TagList {
  any: boolean;
  tags: Array<{ weak: boolean; opaque: string }>;
}

function parseTags(header: string | undefined): TagList | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return { any: true, tags: [] };
  const tags = [...header.matchAll(/(W\/)?("[^"]*")/g)].map(([, weak, opaque = '']) => ({
    weak: weak !== undefined,
    opaque,
  }));
  return { any: false, tags };
}

function matches(list: TagList, etag: string, strong: boolean): boolean {
  return list.any || list.tags.some((tag) => tag.opaque === etag && !(strong && tag.weak));
}

/** The precondition of a write or delete, or undefined when the request has none. */
export function writePrecondition(headers: IncomingHttpHeaders): Precondition | undefined {
  const ifMatch = parseTags(headers['if-match']);
  const ifNoneMatch = parseTags(headers['if-none-match']);
  if (!ifMatch && !ifNoneMatch) return undefined;
  return (current: IndexEntry | undefined) => {
    const etag = current && etagOf(current.md5);
    if (ifMatch) {
      if (etag === undefined) return 'If-Match: the blob does not exist';
      if (!matches(ifMatch, etag, true)) return `If-Match: the current ETag is ${etag}`;
    }
    if (ifNoneMatch && etag !== undefined && matches(ifNoneMatch, etag, false)) {
      return ifNoneMatch.any
        ? 'If-None-Match: *: the blob exists'
        : `If-None-Match: the current ETag is ${etag}`;
    }
    return undefined;
  };
}

/** Whether a GET or HEAD is answered 304 Not Modified. */
export function isNotModified(headers: IncomingHttpHeaders, etag: string, modified: number): boolean {
  const ifNoneMatch = parseTags(headers['if-none-match']);
  if (ifNoneMatch) return matches(ifNoneMatch, etag, false);
  const since = Date.parse(headers['if-modified-since'] ?? '');
  return !Number.isNaN(since) && Math.floor(modified / 1000) * 1000 <= since;
}

/** Whether a Range may be honoured: If-Range, when present, must name the current ETag (or a later date). */
export function rangeApplies(headers: IncomingHttpHeaders, etag: string, modified: number): boolean {
  const ifRange = headerText(headers, 'if-range');
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  const date = Date.parse(ifRange);
  return !Number.isNaN(date) && Math.floor(modified / 1000) * 1000 <= date;
}
