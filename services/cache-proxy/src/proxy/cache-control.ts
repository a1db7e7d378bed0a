// The Cache-Control directives the proxy acts on (RFC 9111 §5.2), as a set of lower-cased names; arguments
// (max-age=…) are ignored. On requests: no-cache (refetch and refresh the entry) and no-store (bypass the cache).
// On responses: no-store and private (not stored, not shared with collapsed requests).
export function cacheDirectives(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  const names = new Set<string>();
  for (const part of text.split(',')) {
    const name = part.split('=', 1)[0]?.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

/** Whether If-None-Match names `etag` (weak comparison, RFC 9110 §13.1.2), or is `*`. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string | undefined): boolean {
  if (ifNoneMatch === undefined || etag === undefined) return false;
  const weakless = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || weakless(tag) === weakless(etag));
}
