import { describe, expect, it } from 'vitest';
import { maskEmail, maskEmails } from '../src/index.js';

describe('maskEmail', () => {
  it.each([
    ['jane@example.com', 'j***@example.com'],
    ['j@example.com', 'j***@example.com'],
    ['first.last+tag@mail.example.org', 'f***@mail.example.org'],
    ['"odd@local"@example.com', '"***@example.com'],
    ['😀smile@example.com', '😀***@example.com'],
    ['not-an-email', '***'],
    ['@example.com', '***'],
    ['', '***'],
  ])('%j → %j', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it('never returns the local part beyond its first character', () => {
    expect(maskEmail('secretname@example.com')).not.toContain('ecret');
  });
});

describe('maskEmails', () => {
  it.each([
    ['mail jane@example.com now', 'mail j***@example.com now'],
    ['/users/jane%40example.com', '/users/j***%40example.com'],
    ['a@b.co, c.d+e@f.example.org', 'a***@b.co, c***@f.example.org'],
    ['no address here', 'no address here'],
    ['version pkg@1.2.3', 'version pkg@1.2.3'],
  ])('%j → %j', (text, masked) => {
    expect(maskEmails(text)).toBe(masked);
  });
});
