// Logs never carry an email address: of its local part (before the `@`) at most the first character is left.
// The mask keeps the domain, which tells a reader whose mail provider it is and nothing more, and the first
// character of the local part only when that part is at least four characters long: `jane.doe+news@example.com`
// → `j***@example.com`, `jo@example.com` → `***@example.com` (one character of two or three gives too much away).
//
// Services mask the addresses they log on purpose with maskEmail; every log line also passes through
// maskEmails, which finds addresses inside any text, written as they are or URL-encoded: `@` may be `%40`, or
// `%2540` and deeper when encoded twice or more, and the local part may hold `%2B` and other escapes. It reads
// as an address anything with a local part before the at-sign and a domain after it, so it also masks what
// the user service itself would refuse: IP-literal domains (`a@[127.0.0.1]`, `a@[IPv6:::1]`), quoted local
// parts (`"john doe"@example.com`), non-ASCII letters and names without a dot (`user@localhost`).
//
// A mask is its own mask (`j***` has four characters, `***` three), so a value masked on purpose reads the
// same after the logger's pass.

/** Masks one address: `jane@example.com` → `j***@example.com`; anything before the last `@` is local part. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${maskLocalPart(email.slice(0, at))}${email.slice(at)}`;
}

function maskLocalPart(local: string): string {
  // Destructuring a string takes code points, so an emoji counts as one character and is never split in half.
  const [first, , , fourth] = local;
  return fourth === undefined ? '***' : `${first}***`;
}

const ENCODED_AT = /%(?:25)*40/;
const AT_SIGNS = /@|%(?:25)*40/g;

/**
 * Whether a text may hold an address, raw or URL-encoded: the cheap test that lets a text without one (nearly
 * every text a service logs) skip all other work.
 */
export function mayHoldEmail(text: string): boolean {
  return text.includes('@') || (text.includes('%') && ENCODED_AT.test(text));
}

/** Masks every email address inside a text: `user jane@example.com` → `user j***@example.com`. */
export function maskEmails(text: string): string {
  if (!mayHoldEmail(text)) return text;

  // From the last at-sign to the first, so an address whose domain runs into the next one's local part
  // (`a@b.c@d.e`) is masked as one with it instead of leaving a piece of either.
  const atSigns = [...text.matchAll(AT_SIGNS)];
  let masked = '';
  let cut = text.length; // text from here on is already in `masked`
  for (let i = atSigns.length - 1; i >= 0; i--) {
    const atSign = atSigns[i]!;
    const atStart = atSign.index;
    const atEnd = atStart + atSign[0].length;
    if (atEnd > cut) continue; // inside a local part already masked, as in `"odd@local"@example.com`

    const localStart = localPartStart(text, atStart, atSign[0] !== '@');
    if (localStart === atStart) continue; // `@scope/package`: no address
    const domainEnd = domainEndFrom(text, atEnd);
    if (domainEnd === atEnd) continue; // `name@`: no address

    // A domain that runs into the address after it is dropped with this local part: that one is masked.
    if (domainEnd <= cut) {
      const local = maskLocalPart(text.slice(localStart, atStart));
      masked = `${local}${text.slice(atStart, domainEnd)}${text.slice(domainEnd, cut)}${masked}`;
    }
    cut = localStart;
  }
  return text.slice(0, cut) + masked;
}

// Where the local part that ends at `at` begins: a quoted string (`"john doe"`), or the longest run of the
// characters a local part may hold, percent-escapes (`%2B`) and non-ASCII letters included. Before an encoded
// at-sign the text is URL-encoded, where a `/`, `?`, `&` or `=` of the local part would be encoded too: one
// as it is separates URL parts (`/users/jane%40example.com`, `?email=jane%40example.com`).
function localPartStart(text: string, at: number, encoded: boolean): number {
  if (text[at - 1] === '"') {
    // A local part has at most 64 octets: the search is bounded, so many `\"@` in one text cost linear time.
    for (let i = at - 2; i >= Math.max(0, at - MAX_QUOTED_LENGTH) && text[i] !== '\n'; i--) {
      if (text[i] === '"' && text[i - 1] !== '\\') return i;
    }
  }
  let start = at;
  while (start > 0) {
    const code = text.charCodeAt(start - 1);
    if (!isLocalPartCharacter(code) || (encoded && URL_SEPARATORS.has(code))) break;
    start--;
  }
  // In `scheme://user@host` the slashes belong to the URL (a local part never holds `:`).
  if (text.startsWith('//', start) && text[start - 1] === ':') start += 2;
  return start;
}

// Where the domain that starts at `from` ends: an IP literal in brackets, or a run of name characters
// (letters, digits, `-`, `.`, `_`, percent-escapes), without the dot or hyphen that ends a sentence.
function domainEndFrom(text: string, from: number): number {
  if (text[from] === '[') {
    const close = text.indexOf(']', from);
    if (close !== -1 && close - from <= 64 && /^[\w.:]+$/.test(text.slice(from + 1, close))) return close + 1;
  }
  let end = from;
  while (end < text.length && isDomainCharacter(text.charCodeAt(end))) end++;
  while (end > from && '.-%'.includes(text[end - 1]!)) end--;
  return end;
}

const MAX_QUOTED_LENGTH = 256;

// The atext of RFC 5322 plus the dot, which also covers percent-escapes (`%` and hex digits).
const LOCAL_PUNCTUATION = new Set("!#$%&'*+-/=?^_`{|}~.".split('').map((c) => c.charCodeAt(0)));

const URL_SEPARATORS = new Set('/?&='.split('').map((c) => c.charCodeAt(0)));

function isLocalPartCharacter(code: number): boolean {
  return isAsciiAlphanumeric(code) || LOCAL_PUNCTUATION.has(code) || isNonAsciiNonSpace(code);
}

function isDomainCharacter(code: number): boolean {
  return (
    isAsciiAlphanumeric(code) ||
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x5f || // _
    code === 0x25 || // %
    isNonAsciiNonSpace(code)
  );
}

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

// Internationalised addresses may use any letter; only the Unicode spaces end one.
function isNonAsciiNonSpace(code: number): boolean {
  return code >= 0x80 && !/\s/.test(String.fromCharCode(code));
}
