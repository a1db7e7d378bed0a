import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const script = fileURLToPath(new URL('../dist/gen-numbers.js', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gen-numbers-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function generate(out: string, count: number, max: number, seed: number): Promise<string> {
  const file = join(dir, out);
  const args = ['--count', String(count), '--max', String(max), '--seed', String(seed), '--out', file];
  await promisify(execFile)(process.execPath, [script, ...args]);
  return readFile(file, 'latin1');
}

// Each case waits on child processes (Node can take a second or more to start on a busy machine): side by side, the
// waits overlap and both cores are used.
describe.concurrent('gen-numbers', { timeout: 30_000 }, () => {
  test('the same seed gives the same bytes; another seed does not', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    const [a, b, c] = await Promise.all([
      generate('a', 20_000, max, 7),
      generate('b', 20_000, max, 7),
      generate('c', 20_000, max, 8),
    ]);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  test('writes COUNT lines of integers in 0..MAX, using the whole range', async () => {
    const maxima = [0, 6, 1000, 2 ** 32, Number.MAX_SAFE_INTEGER];
    const texts = await Promise.all(maxima.map((max) => generate(`range-${max}`, 5000, max, 1)));
    for (const [i, max] of maxima.entries()) {
      const text = texts[i] as string;
      expect(text.endsWith('\n')).toBe(true);
      const values = text.slice(0, -1).split('\n');
      expect(values).toHaveLength(5000);
      // One assertion over all the lines, not two per line: 50,000 expect() calls take most of a second.
      expect(values.filter((line) => !/^(0|[1-9]\d*)$/.test(line) || Number(line) > max)).toEqual([]);
      const numbers = values.map(Number);
      if (max === 6) expect(new Set(numbers).size).toBe(7);
      if (max === Number.MAX_SAFE_INTEGER) {
        expect(Math.max(...numbers)).toBeGreaterThan(max * 0.99);
        expect(numbers.some((n) => n % 2 === 1)).toBe(true); // all 53 bits are random, the lowest too
      }
    }
  });
});
