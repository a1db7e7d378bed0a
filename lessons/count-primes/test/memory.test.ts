// Peak RSS ≤ 500 MB for the worker program at its most threads (MAX_THREADS), measured on the node command
// `pnpm lesson:primes:worker` runs (compiled: no TypeScript loader in the process nor in any thread).
//
// Memory does not grow with the file: a thread holds one chunk, whatever the file's size. So the file only needs
// enough chunks that every thread takes some (69 MB, 66 chunks of 1 MiB, for 24 threads), not 200,000,000
// lines. The number is the one the program prints, `peak RSS`: the kernel's high-water mark of the process's
// resident memory (process.resourceUsage().maxRSS, every thread included), the same on Linux and macOS. It can
// overstate the peak but never understate it: on Linux a child's mark starts at what its parent held when it was
// forked, and the vitest worker is big, so the program is started by a small `sh` that forks it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { MAX_THREADS } from '../src/cli.js';

const rootDir = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

let dir: string | undefined;
afterAll(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));

/** The arguments of the node that `pnpm <script>` runs (its last command; the one before builds the lesson). */
function lessonCommand(script: string): string[] {
  const manifest = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = (manifest.scripts[script] ?? '').split('&&').at(-1)!.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`pnpm ${script} no longer ends with a node command`);
  return args;
}

it(`keeps the worker program within 500 MB at ${MAX_THREADS} threads`, { timeout: 180_000 }, async () => {
  dir = await mkdtemp(join(tmpdir(), 'count-primes-memory-'));
  const file = join(dir, 'numbers.txt');
  const generate = ['--count', '10000000', '--max', '999999', '--seed', '7', '--out', file];
  await run(process.execPath, [...lessonCommand('lesson:gen-numbers'), ...generate], { cwd: rootDir });

  const worker = [...lessonCommand('lesson:primes:worker'), file, '--threads', String(MAX_THREADS)];
  const { stdout } = await run('/bin/sh', ['-c', '"$@" & wait $!', 'sh', process.execPath, ...worker], {
    cwd: rootDir,
  });
  const peakMiB = Number(/^peak RSS: (\d+) MiB$/m.exec(stdout)?.[1]);
  console.log(`pnpm lesson:primes:worker --threads ${MAX_THREADS} on 69 MB: peak RSS ${peakMiB} MiB`);
  expect(stdout).toMatch(new RegExp(`^threads: ${MAX_THREADS}$`, 'm'));
  // Each thread is a V8 isolate of several MiB: less than one MiB per thread could not be the process's peak.
  expect(peakMiB).toBeGreaterThan(MAX_THREADS);
  expect(peakMiB).toBeLessThan(500e6 / 2 ** 20);
});
