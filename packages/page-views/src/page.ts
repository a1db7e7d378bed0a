// What a page name may be: 1 to 200 characters (Unicode code points, as varchar(200) counts them), without NUL
// or unpaired surrogates. PostgreSQL text cannot hold NUL, and an unpaired surrogate would be stored as U+FFFD:
// either would count or report views under a page other than the one sent.
export const PAGE_MAX_LENGTH = 200;

/** Why `page` is not a page name ("must …"), or null when it is one. */
export function pageProblem(page: string): string | null {
  const length = [...page].length;
  if (length === 0) return 'must not be empty';
  if (length > PAGE_MAX_LENGTH) return `must be at most ${PAGE_MAX_LENGTH} characters, got ${length}`;
  if (page.includes('\u0000') || /\p{Cs}/u.test(page)) return 'must not contain NUL or unpaired surrogates';
  return null;
}
