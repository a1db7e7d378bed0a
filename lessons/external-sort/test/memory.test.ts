// Peak RSS ≤ --memory + 64 MiB on an input ten times the budget, measured on the CLI as a child process.
//
// Two things would blur the number, and both are taken out:
//   - a child's maxRSS starts at its parent's RSS when the parent forked it (Linux carries the high-water mark
//     across exec), and the vitest worker is big; so the child is started through /usr/bin/time, a small
//     parent, which also reports the child's peak (%M, KiB).
//   - `pnpm lesson:sort` runs under tsx, whose loader (a second V8 isolate on Node 20) costs 40–50 MiB that
//     a compiled program would not carry; it is measured on an empty script and taken off the sort's peak.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { generateLines } from '../src/generate.js';
import { gnuSort, lessonDir, rootDir, scratchDir } from './helpers.js';

const TIME = '/usr/bin/time';

/** Peak RSS in MiB of `node …args`, and its stderr. */
async function peakRss(args: string[]): Promise<{ mib: number; stderr: string }> {
  const { stderr } = await promisify(execFile)(TIME, ['-f', 'maxrss=%M', process.execPath, ...args], {
    cwd: rootDir,
  });
  const kib = Number(/maxrss=(\d+)/.exec(stderr)?.[1]);
  return { mib: kib / 1024, stderr };
}

it.skipIf(!existsSync(TIME))(
  'keeps peak RSS within --memory + 64 MiB, 16 MiB on 160 MiB',
  { timeout: 60_000 },
  async () => {
    const dir = await scratchDir();
    const input = join(dir, 'input');
    const empty = join(dir, 'empty.ts');
    await writeFile(empty, '');
    // Each peak is a child's own (see above), so the steps that do not depend on each other run side by side,
    // on the core the vitest worker leaves free: the loader's cost is measured while the input is written, and
    // GNU sort makes the expected output while the CLI sorts.
    const [bare, withLoader] = await Promise.all([
      peakRss(['-e', '']),
      peakRss(['--import', 'tsx', empty]),
      // About 51 bytes a line: 3.3 M lines, 160 MiB.
      generateLines({ lines: 3_300_000, maxLength: 100, duplicates: 0.1, seed: 4, out: input }),
    ]);
    const loader = withLoader.mib - bare.mib;

    const output = join(dir, 'output');
    const expected = join(dir, 'expected');
    const cli = join(lessonDir, 'src', 'sort-cli.ts');
    const [sort] = await Promise.all([
      peakRss(['--import', 'tsx', cli, '--input', input, '--output', output, '--memory', '16MiB']),
      gnuSort(input, expected),
    ]);
    console.log(
      `peak RSS ${sort.mib.toFixed(0)} MiB with the tsx loader (≈ ${loader.toFixed(0)} MiB; bare node ${bare.mib.toFixed(0)} MiB)`,
    );
    expect(sort.mib - loader).toBeLessThanOrEqual(16 + 64);
    await expect(promisify(execFile)('cmp', [output, expected])).resolves.toBeDefined();
  },
);
