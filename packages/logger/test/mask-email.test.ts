import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskEmail, maskEmails, maskQuery, maskUrl, maskUrlComponent, mayHoldEmail } from '../src/index.js';

// What RFC 5322 allows in an unquoted local part, and what the user service's schema (Ajv's `email` format)
// accepts there: letters, digits and these.
const ATEXT = "!#$%&'*+-/=?^_`{|}~";
const letterOrDigit = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
const atom = fc.string({
  unit: fc.oneof(letterOrDigit, fc.constantFrom(...ATEXT)),
  minLength: 1,
  maxLength: 12,
});
const localPart = fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join('.'));
const label = fc
  .string({ unit: fc.oneof(letterOrDigit, fc.constant('-')), minLength: 1, maxLength: 10 })
  .filter((l) => !l.startsWith('-') && !l.endsWith('-'));
const domain = fc.oneof(
  fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.')),
  fc.ipV4(),
  fc.ipV4().map((ip) => `[${ip}]`),
  fc.ipV6().map((ip) => `[IPv6:${ip}]`),
);
/** An address and its local part, which no log may show (one that is itself a mask, `j***` or `**`, aside). */
const address = fc
  .record({ local: localPart, domain })
  .filter(({ local }) => !/^.?\*\*\*$|^\*+$/u.test(local))
  .map(({ local, domain }) => ({ local, domain, email: `${local}@${domain}` }));

// Text around an address, as in a message: never a character that could belong to a local part or domain.
const surrounding = fc.constantFrom('', ' ', 'user ', '(', '<', '"', ': ', 'email=', '/users/', ', ');
const after = fc.constantFrom('', ' ', ')', '>', '"', ', ', '; ', '. ', '?limit=5');

describe('maskEmail', () => {
  it.each([
    ['jane@example.com', 'j***@example.com'],
    ['first.last+tag@mail.example.org', 'f***@mail.example.org'],
    ['J@Example.com', '***@Example.com'],
    ['jo@example.com', '***@example.com'],
    ['joe@example.com', '***@example.com'],
    ['a@[127.0.0.1]', '***@[127.0.0.1]'],
    ['jane@[IPv6:::1]', 'j***@[IPv6:::1]'],
    ['"odd@local"@example.com', '"***@example.com'],
    ['😀smile@example.com', '😀***@example.com'],
    ['😀ab@example.com', '***@example.com'],
    ['j***@example.com', 'j***@example.com'],
    ['not-an-email', '***'],
    ['@example.com', '***'],
    ['', '***'],
  ])('%j → %j', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it('never shows more of the local part than its first character, and that only from four on', () => {
    fc.assert(
      fc.property(address, ({ local, domain, email }) => {
        const masked = maskEmail(email);
        expect(masked.endsWith(`@${domain}`)).toBe(true);
        const shown = masked.slice(0, masked.length - domain.length - 1).replace('***', '');
        expect(shown).toBe([...local].length >= 4 ? [...local][0] : '');
      }),
    );
  });
});

describe('maskEmails', () => {
  it.each([
    ['mail jane@example.com now', 'mail j***@example.com now'],
    ['/users/jane%40example.com', '/users/j***%40example.com'],
    ['/users/jane%2Bwork%40example.com', '/users/j***%40example.com'],
    ['/users/jane%2540example.com', '/users/j***%2540example.com'],
    ['?email=jane.doe%40example.com&limit=5', '?email=j***%40example.com&limit=5'],
    ['a@b.co, c.d+e@f.example.org', '***@b.co, c***@f.example.org'],
    ['No user with email Jane+Tag@Example.COM', 'No user with email J***@Example.COM'],
    ['x jane@[127.0.0.1] y', 'x j***@[127.0.0.1] y'],
    ['x jane@[IPv6:::1] y', 'x j***@[IPv6:::1] y'],
    ['"john doe"@example.com', '"***@example.com'],
    ['"odd@local"@example.com', '"***@example.com'],
    ['jérôme@exämple.com', 'j***@exämple.com'],
    ['jane@localhost', 'j***@localhost'],
    ['pkg@1.2.3', '***@1.2.3'],
    ['mail jane@example.com.', 'mail j***@example.com.'],
    ['a.b@c.d@example.com', '***@example.com'],
    ['postgres://admin@db.internal:5432/users', 'postgres://a***@db.internal:5432/users'],
    ['postgres://postgres:***@127.0.0.1:5433/users', 'postgres://postgres:***@127.0.0.1:5433/users'],
    ['j***@example.com and ***@example.com', 'j***@example.com and ***@example.com'],
    ['no address here', 'no address here'],
    ['installed @backend-rebase/logger', 'installed @backend-rebase/logger'],
    ['a lone @ and name@ and 100%', 'a lone @ and name@ and 100%'],
  ])('%j → %j', (text, masked) => {
    expect(maskEmails(text)).toBe(masked);
  });

  it('leaves no local part in a text, raw or URL-encoded once, twice or with only the @ encoded', () => {
    fc.assert(
      fc.property(address, surrounding, after, fc.nat(3), ({ local, email }, before, rest, encoding) => {
        const written = [
          email,
          encodeURIComponent(email),
          encodeURIComponent(encodeURIComponent(email)),
          email.replace('@', '%40'),
        ][encoding]!;
        // In encoded text a raw `/`, `?`, `&` or `=` separates URL parts: an address written there with only
        // its `@` encoded has them encoded too, or the router's decoding (maskUrl) is what reads it.
        fc.pre(encoding !== 3 || !/[/?&=]/.test(local));
        const masked = maskEmails(`${before}${written}${rest}`);
        expect(masked).not.toContain(written);
        if (local.length >= 4) {
          expect(masked).not.toContain(local);
          expect(masked).not.toContain(encodeURIComponent(local));
        }
        expect(maskEmails(masked)).toBe(masked); // a mask is its own mask
      }),
    );
  });

  it('returns a text that holds no at-sign, raw or encoded, as it is', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        fc.pre(!mayHoldEmail(text));
        expect(maskEmails(text)).toBe(text);
      }),
    );
  });
});

describe('maskUrl, maskQuery and maskUrlComponent', () => {
  it.each([
    ['/users/jane%40example.com', '/users/j***%40example.com'],
    ['/users/JANE%2bTAG%40EXAMPLE.COM', '/users/J***%40EXAMPLE.COM'],
    ['/users/jane%2540example.com', '/users/j***%40example.com'],
    ['/users/a%2Fbcd%40example.com?x=1', '/users/a***%40example.com?x=1'],
    ['/users/jane@example.com', '/users/j***%40example.com'],
    ['/find?email=bob%40example.com&limit=5', '/find?email=***%40example.com&limit=5'],
    ['/find?jane.doe@example.com', '/find?j***%40example.com'],
    ['/users/%E0%A4%A%40example.com', '/users/%25***%40example.com'],
    ['/items/abc?limit=5', '/items/abc?limit=5'],
  ])('maskUrl(%j) → %j', (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });

  it('masks a route parameter after decoding what the router left encoded', () => {
    expect(maskUrlComponent('jane+tag@example.com')).toBe('j***@example.com');
    expect(maskUrlComponent('jane%40example.com')).toBe('j***@example.com');
    expect(maskUrlComponent('abc')).toBe('abc');
    expect(maskQuery('limit=5&cursor=abc')).toBe('limit=5&cursor=abc');
  });

  it('leaves no local part in a URL, however the address is encoded', () => {
    fc.assert(
      fc.property(address, fc.nat(3), fc.boolean(), ({ local, email }, encoding, inQuery) => {
        const written = [
          email,
          encodeURIComponent(email),
          encodeURIComponent(encodeURIComponent(email)),
          encodeURIComponent(email).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
        ][encoding]!;
        // A client cannot send `%`, `?`, `#`, `&` or `/` of an address unencoded and mean them as part of it.
        fc.pre(encoding !== 0 || !/[%?#&/]/.test(email));
        const url = inQuery ? `/users?email=${written}&limit=5` : `/users/${written}`;
        const masked = maskUrl(url);
        expect(masked).not.toContain(written);
        expect(decodeURIComponent(masked)).not.toContain(email);
        if (local.length >= 4) expect(decodeURIComponent(masked)).not.toContain(local);
      }),
    );
  });
});
