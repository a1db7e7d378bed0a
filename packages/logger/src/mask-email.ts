// Logs never carry a full email address: only the first character of the local part and the domain survive,
// enough to tell users apart while debugging, not enough to identify anyone. Services mask the addresses they
// log on purpose with maskEmail; every log line also passes through maskEmails, which catches the ones nobody
// thought of, such as an address in a request URL (`/users/jane%40example.com`).

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  const [first] = email; // iterating a string yields whole code points, so an emoji is never split in half
  return `${first}***${email.slice(at)}`;
}

// local part, then @ (or %40 when URL-encoded), then a domain ending in a letter-only top-level label
const EMAIL = /([\w.+-])[\w.+-]*(@|%40)((?:[a-z0-9-]+\.)+[a-z]{2,})/gi;

/** Masks every email address inside a text: `user jane@example.com` → `user j***@example.com`. */
export function maskEmails(text: string): string {
  // Every string of every log line comes through here, and almost none holds an address: skip the regex then.
  if (!text.includes('@') && !text.includes('%40')) return text;
  return text.replace(EMAIL, '$1***$2$3');
}
