import { describe, expect, it } from 'vitest';
import { pageProblem } from '../src/page.js';

describe('pageProblem', () => {
  it('accepts 1 to 200 code points, counting a character above U+FFFF once', () => {
    expect(pageProblem('/')).toBeNull();
    expect(pageProblem('😀'.repeat(200))).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['201 characters', 'x'.repeat(201)],
    ['201 code points above U+FFFF', '😀'.repeat(201)],
    ['NUL', 'a\u0000b'],
    ['an unpaired surrogate', 'a\ud800b'],
  ])('refuses a page that is %s', (_what, page) => {
    expect(pageProblem(page)).toMatch(/^must /);
  });
});
