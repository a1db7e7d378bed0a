// Masks the email addresses in the parts of a request URL, read as the service reads them: each path segment,
// parameter value and query component is URL-decoded first, as often as it stays decodable (an address encoded
// twice, `jane%2540example.com`, is still an address to whoever decodes it twice), and one that then holds an `@`
// is masked whole: everything before its last `@` is local part. A route parameter, which the router has
// decoded, stays decoded (`j***@example.com`); in a URL or query string the masked part is encoded again
// (`/users/jane%2Btag%40example.com` → `/users/j***%40example.com`), so the URL still reads as one, and the
// logger's own pass over every string (maskEmails) sees a mask it leaves as it is. A part without an at-sign in
// any encoding is returned as it is, without any decoding work, which is what nearly every request costs.
import { maskEmail, maskEmails, mayHoldEmail } from './mask-email.js';

/** A route parameter value (or any decoded URL part), decoded further and masked when it holds an `@`. */
export function maskUrlComponent(component: string): string {
  if (!mayHoldEmail(component)) return component;
  const decoded = decodeFully(component);
  // Past the rounds decodeFully allows, an at-sign may still be encoded: maskEmails reads any depth.
  return decoded.includes('@') ? maskEmail(decoded) : maskEmails(decoded);
}

/** A query string (without `?`), each key and value masked as maskUrlComponent does, then encoded again. */
export function maskQuery(query: string): string {
  if (!mayHoldEmail(query)) return query;
  return query
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals === -1) return maskEncoded(pair);
      return `${maskEncoded(pair.slice(0, equals))}=${maskEncoded(pair.slice(equals + 1))}`;
    })
    .join('&');
}

/** A request URL (path and query), each segment and query component masked as maskQuery does. */
export function maskUrl(url: string): string {
  if (!mayHoldEmail(url)) return url;
  const question = url.indexOf('?');
  const path = (question === -1 ? url : url.slice(0, question)).split('/').map(maskEncoded).join('/');
  return question === -1 ? path : `${path}?${maskQuery(url.slice(question + 1))}`;
}

function maskEncoded(part: string): string {
  const masked = maskUrlComponent(part);
  return masked === part ? part : encodeURIComponent(masked);
}

const MAX_DECODING_ROUNDS = 8;

function decodeFully(text: string): string {
  let decoded = text;
  for (let round = 0; round < MAX_DECODING_ROUNDS && decoded.includes('%'); round++) {
    const next = decodeOnce(decoded);
    if (next === decoded) break;
    decoded = next;
  }
  return decoded;
}

// A malformed escape (`%E0%A4%A`) makes decodeURIComponent throw; the ASCII escapes, `%40` among them, are then
// decoded one by one, and the rest is left as it is.
function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}
