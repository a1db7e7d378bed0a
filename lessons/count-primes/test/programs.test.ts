// The three programs, run as a user runs them (compiled, child processes of bare node), on files with known answers.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const PROGRAMS = ['sync', 'async', 'worker'] as const;

let dir: string;
/**
 * 1..1,000,000, one per line (6.9 MB): 78,498 primes. Several of each program's 1 MiB blocks and of the worker's
 * default 1 MiB chunks, which is all the size has to prove; isPrime's own range is covered by is-prime.test.ts,
 * and 10,000,000 lines (79 MB) cost some 10 s of CPU to write and count three times for nothing more.
 */
let oneMillion: string;
/**
 * 1..20,000 (2,262 primes), for the many-chunks tests: lines of 2 to 6 bytes, so 7-byte chunks cut them at every
 * offset. Each chunk costs a message between threads, and 1-byte chunks of a larger file only repeat the same cuts.
 */
let twentyThousand: string;

async function writeRange(file: string, last: number): Promise<void> {
  const out = createWriteStream(file);
  const perBlock = 100_000;
  for (let from = 1; from <= last; from += perBlock) {
    const lines = [];
    for (let n = from; n < Math.min(from + perBlock, last + 1); n++) lines.push(n);
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'count-primes-'));
  oneMillion = join(dir, 'one-million.txt');
  twentyThousand = join(dir, 'twenty-thousand.txt');
  await Promise.all([writeRange(oneMillion, 1_000_000), writeRange(twentyThousand, 20_000)]);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(program: string, args: string[]): Promise<Run> {
  const script = fileURLToPath(new URL(`../dist/${program}.js`, import.meta.url));
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function primesOf(result: Run): number {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return Number(/^primes: (\d+)$/m.exec(result.stdout)?.[1]);
}

// Each case starts Node (and its worker threads) at least once: give them time on a busy machine.
const SLOW = { timeout: 60_000 };

// Every case below is a process of its own on a file of its own: they run side by side, so that one waiting for
// its Node to start does not hold the others back.
describe.concurrent('on 1..1,000,000', SLOW, () => {
  test.each([
    ['sync', []],
    ['async', []],
    ['worker', ['--threads', '2']],
  ])('%s %s counts 78,498 primes', async (program, args) => {
    const result = await run(program, [oneMillion, ...args]);
    expect(primesOf(result)).toBe(78_498);
    expect(result.stdout).toMatch(/^elapsed: \d+ ms$/m);
    expect(result.stdout).toMatch(/^peak RSS: \d+ MiB$/m);
    if (program === 'async') expect(result.stdout).toMatch(/^worst event-loop delay: [\d.]+ ms$/m);
  });
});

describe.concurrent('worker chunk boundaries', SLOW, () => {
  // Chunks of 1 byte start inside almost every line; chunks of 7 bytes cut lines at every possible place.
  test.each([
    [1, 3],
    [7, 1],
    [7, 2],
    [4096, 3],
  ])('chunks of %i bytes, %i threads: every line counted once', async (chunkBytes, threads) => {
    const args = ['--threads', String(threads), '--chunk-bytes', String(chunkBytes)];
    expect(primesOf(await run('worker', [twentyThousand, ...args]))).toBe(2262);
  });
});

describe.concurrent('edge cases of the format', SLOW, () => {
  const cases: [name: string, content: string, primes: number][] = [
    ['an empty file', '', 0],
    ['a last line without newline', '7', 1],
    [
      'leading zeros, values up to 2^53 − 1, no final newline',
      '007\n0011\n0\n9007199254740881\n9007199254740991',
      3,
    ],
  ];
  test.each(cases)('%s', async (_name, content, primes) => {
    const file = join(dir, `edge-${primes}-${content.length}.txt`);
    await writeFile(file, content);
    for (const program of PROGRAMS) {
      const args = program === 'worker' ? [file, '--chunk-bytes', '3'] : [file];
      expect(primesOf(await run(program, args))).toBe(primes);
    }
  });
});

describe.concurrent('a bad command line', SLOW, () => {
  test.each([
    ['sync', ['missing.txt'], /missing\.txt: no such file/],
    ['async', ['missing.txt'], /missing\.txt: no such file/],
    ['worker', ['missing.txt'], /missing\.txt: no such file/],
    ['compare', ['missing.txt'], /missing\.txt: no such file/],
    ['sync', ['.'], /not a regular file/],
    ['worker', ['.'], /not a regular file/],
    ['worker', ['good.txt', '--threads', '0'], /--threads expects an integer from 1 to \d+, got "0"/],
    ['worker', ['good.txt', '--threads', '100000'], /--threads expects an integer from 1 to \d+/],
    ['compare', ['good.txt', '--threads', 'many'], /--threads expects an integer/],
    ['gen-numbers', ['--count', '5'], /missing --max, --seed, --out/],
  ])('%s %j: a message, no stack trace, exit code 2', async (program, args, message) => {
    const paths: Record<string, string> = {
      'missing.txt': join(dir, 'missing.txt'),
      '.': dir,
      'good.txt': twentyThousand,
    };
    const result = await run(
      program,
      args.map((arg) => paths[arg] ?? arg),
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});

describe.concurrent('a malformed line', SLOW, () => {
  const good = ['2', '3', '4', '5', '6', '7'];
  const cases: [bad: string, reason: RegExp][] = [
    ['12a', /"a" at column 3/],
    ['-5', /"-" at column 1/],
    ['', /empty line/],
    ['11\r', /carriage return/],
    ['9007199254740992', /above 2\^53 − 1/],
  ];
  test.each(cases)('%j on line 7 is reported by all three, with exit code 1', async (bad, reason) => {
    // The bad line sits in the middle of a file long enough to span many worker chunks.
    const lines = [...good, bad, ...Array.from({ length: 2000 }, (_, i) => String(i))];
    const file = join(dir, `bad-${JSON.stringify(bad).replace(/\W/g, '_')}.txt`);
    await writeFile(file, `${lines.join('\n')}\n`);
    for (const [program, args] of [
      ['sync', []],
      ['async', []],
      ['worker', ['--threads', '3', '--chunk-bytes', '5']],
    ] as const) {
      const result = await run(program, [file, ...args]);
      expect(result.code, program).toBe(1);
      expect(result.stdout, program).not.toMatch(/primes:/);
      expect(result.stderr.trim(), program).toMatch(/^line 7: /);
      expect(result.stderr, program).toMatch(reason);
    }
  });

  test('the first of several bad lines is the one reported, by the worker too', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) =>
      i === 3000 || i === 4000 || i === 4999 ? 'x' : String(i),
    );
    const file = join(dir, 'several-bad.txt');
    await writeFile(file, `${lines.join('\n')}\n`);
    for (const program of PROGRAMS) {
      const args = program === 'worker' ? [file, '--threads', '3', '--chunk-bytes', '64'] : [file];
      const result = await run(program, args);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toMatch(/^line 3001: /);
    }
  });
});
