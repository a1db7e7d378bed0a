// Peak RSS ≤ --memory + 64 MiB (Node 24: + 72 MiB, as the README says), measured on the node command
// `pnpm lesson:sort` runs (compiled, no TypeScript loader), on an input ten times the budget: 16 MiB on 160 MiB,
// as 100 MB on 1 GB scaled down.
//
// The number is the one the CLI prints, `peak RSS` (every thread, read after the sort; see
// lessons/testing/lesson-process.ts), the same on Linux and macOS, with no /usr/bin/time. A report below the
// memory the sort must have touched would be a broken measurement, and fails too.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { generateLines } from '../src/generate.js';
import { forkedNode, reportedPeakMiB } from '../../testing/lesson-process.js';
import { gnuSort, lessonCommand, rootDir, scratchDir } from './helpers.js';

const MiB = 2 ** 20;
/** What Node itself may add to the budget: Node 24 starts bigger and its optimizing compilers take more. */
const NODE_ALLOWANCE = (Number(process.versions.node.split('.')[0]) >= 24 ? 72 : 64) * MiB;

/** Runs `node …args` as the child of a small shell; resolves with its stderr, rejects unless it exited 0. */
function runForked(args: string[]): Promise<string> {
  const child = spawn(...forkedNode(args), {
    cwd: rootDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(stderr) : reject(new Error(`exit ${code}: ${stderr}`)),
    );
  });
}

it(
  'keeps the peak RSS of pnpm lesson:sort within --memory + 64 MiB (72 on Node 24), 16 MiB on 160 MiB',
  { timeout: 120_000 },
  async () => {
    const dir = await scratchDir();
    const input = join(dir, 'input');
    // About 51 bytes a line: 3.3 M lines, 160 MiB.
    await generateLines({ lines: 3_300_000, maxLength: 100, duplicates: 0.1, seed: 4, out: input });

    const output = join(dir, 'output');
    const expected = join(dir, 'expected');
    const memory = 16 * MiB;
    // Each peak is the child's own (see above), so GNU sort makes the expected output meanwhile, on the other core.
    const [stderr] = await Promise.all([
      runForked([...lessonCommand('lesson:sort'), '--input', input, '--output', output, '--memory', '16MiB']),
      gnuSort(input, expected),
    ]);
    const peakMiB = reportedPeakMiB(stderr);
    console.log(`pnpm lesson:sort --memory 16MiB on 160 MiB: peak RSS ${peakMiB} MiB`);
    expect(peakMiB).toBeGreaterThan(memory / MiB);
    expect(peakMiB).toBeLessThanOrEqual((memory + NODE_ALLOWANCE) / MiB);
    await expect(promisify(execFile)('cmp', [output, expected])).resolves.toBeDefined();
  },
);
