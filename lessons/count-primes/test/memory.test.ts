// Peak RSS ≤ 500 MB for the worker program at its most threads (MAX_THREADS), measured on the node command
// `pnpm lesson:primes:worker` runs (compiled: no TypeScript loader in the process nor in any thread).
//
// Memory does not grow with the file: a thread holds one chunk, whatever the file's size. So the file only needs
// enough chunks that every thread takes some (69 MB, 66 chunks of 1 MiB, for 24 threads), not 200,000,000
// lines. The number is the one the program prints, `peak RSS` (every thread included; see
// lessons/testing/lesson-process.ts), the same on Linux and macOS.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { forkedNode, lessonCommand, reportedPeakMiB, rootDir } from '../../testing/lesson-process.js';
import { MAX_THREADS } from '../src/cli.js';

const run = promisify(execFile);

let dir: string | undefined;
afterAll(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));

it(`keeps the worker program within 500 MB at ${MAX_THREADS} threads`, { timeout: 180_000 }, async () => {
  dir = await mkdtemp(join(tmpdir(), 'count-primes-memory-'));
  const file = join(dir, 'numbers.txt');
  const generate = ['--count', '10000000', '--max', '999999', '--seed', '7', '--out', file];
  await run(process.execPath, [...lessonCommand('lesson:gen-numbers'), ...generate], { cwd: rootDir });

  const worker = [...lessonCommand('lesson:primes:worker'), file, '--threads', String(MAX_THREADS)];
  const { stdout } = await run(...forkedNode(worker), { cwd: rootDir });
  const peakMiB = reportedPeakMiB(stdout);
  console.log(`pnpm lesson:primes:worker --threads ${MAX_THREADS} on 69 MB: peak RSS ${peakMiB} MiB`);
  expect(stdout).toMatch(new RegExp(`^threads: ${MAX_THREADS}$`, 'm'));
  // Each thread is a V8 isolate of several MiB: less than one MiB per thread could not be the process's peak.
  expect(peakMiB).toBeGreaterThan(MAX_THREADS);
  expect(peakMiB).toBeLessThan(500e6 / 2 ** 20);
});
