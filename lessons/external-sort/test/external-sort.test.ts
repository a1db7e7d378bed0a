import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/args.js';
import { externalSort, runLayout, type SortOptions } from '../src/external-sort.js';
import { generateLines } from '../src/generate.js';
import { gnuSort, scratchDir } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await scratchDir();
});

const lines = (...items: string[]) => items.join('\n') + '\n';

/** Inputs built to hit the edge cases; the generated ones are added in beforeAll. */
const inputs: Record<string, string | Buffer> = {
  empty: '',
  'one line': 'hello\n',
  'one line, no final newline': 'hello',
  'no final newline': 'pear\napple\nfig',
  'empty lines': '\n\nb\n\na\n',
  'all equal': lines(...Array<string>(5000).fill('same line')),
  'spaces, punctuation, \\r': lines(
    'b\r',
    'b',
    ' b',
    'b ',
    '!',
    '~',
    'a\rb',
    'A',
    'a',
    '\r',
    ' ',
    '',
    'Z',
    '_',
    '0',
  ),
  'bytes above 0x7f and 0x00': Buffer.from([
    0xff, 0x0a, 0x80, 0x0a, 0x41, 0x00, 0x0a, 0x41, 0x0a, 0x00, 0x0a, 0xc3, 0xa9, 0x0a,
  ]),
};

beforeAll(async () => {
  const generated = [
    { name: 'many duplicates', lines: 20_000, maxLength: 40, duplicates: 0.8, seed: 1 },
    { name: 'short lines, chance duplicates', lines: 30_000, maxLength: 3, duplicates: 0, seed: 2 },
    { name: 'multi-pass (3 MB)', lines: 60_000, maxLength: 100, duplicates: 0.2, seed: 3 },
  ];
  for (const { name, ...options } of generated) {
    const path = join(dir, `${name}.gen`);
    await generateLines({ ...options, out: path });
    inputs[name] = await readFile(path);
  }
});

/** Sorts `content` with ours and GNU sort, returns our stats after checking the outputs are byte-identical. */
async function compareWithGnuSort(name: string, content: string | Buffer, options: Partial<SortOptions>) {
  const input = join(dir, 'input');
  await writeFile(input, content);
  const ours = join(dir, 'ours');
  const theirs = join(dir, 'theirs');
  let tempDir = '';
  const stats = await externalSort({
    input,
    output: ours,
    memoryBytes: 1 << 20,
    ...options,
    onTempDir: (path) => (tempDir = path),
  });
  await gnuSort(input, theirs, options.unique);
  const [a, b] = await Promise.all([readFile(ours), readFile(theirs)]);
  expect(a.equals(b), `${name}: output differs from LC_ALL=C sort${options.unique ? ' -u' : ''}`).toBe(true);
  expect(existsSync(tempDir), 'temp folder removed').toBe(false);
  return stats;
}

describe('externalSort matches LC_ALL=C sort byte for byte', () => {
  // 64 KiB of budget makes runs of about 40 KiB: the generated inputs then need many runs, the 3 MB one
  // more than 16 (so two merge passes). 1 MiB sorts the small inputs in one run, without a merge.
  for (const memoryBytes of [1 << 20, 64 << 10]) {
    for (const unique of [false, true]) {
      it(`${unique ? 'sort -u' : 'sort'}, ${memoryBytes >> 10} KiB budget`, async () => {
        for (const [name, content] of Object.entries(inputs)) {
          await compareWithGnuSort(name, content, { memoryBytes, unique });
        }
      });
    }
  }

  it('takes several merge passes when there are more than 16 runs', async () => {
    const stats = await compareWithGnuSort('multi-pass', inputs['multi-pass (3 MB)'] as Buffer, {
      memoryBytes: 64 << 10,
      unique: true,
    });
    // 17..256 runs: one pass of groups of 16, then the final merge.
    expect(stats.runs).toBeGreaterThan(16);
    expect(stats.runs).toBeLessThanOrEqual(256);
    expect(stats.mergePasses).toBe(2);
  });

  it('writes an input that fits in one run without a merge', async () => {
    const stats = await compareWithGnuSort('one run', 'b\na\nc', { memoryBytes: 1 << 20 });
    expect(stats).toMatchObject({ runs: 0, mergePasses: 0, linesRead: 3, linesWritten: 3 });
  });

  it('handles lines longer than a merge read buffer', async () => {
    const long = (c: string, n: number) => c.repeat(n);
    const content = lines(
      long('b', 30_000),
      long('a', 50_000),
      long('b', 30_000) + 'x',
      'a',
      long('a', 50_000),
    );
    // 128 KiB: runs of two or three lines, and merge buffers of about 30 KiB, which the 50 KiB lines outgrow.
    const stats = await compareWithGnuSort('long lines', content, { memoryBytes: 128 << 10, unique: true });
    expect(stats.runs).toBeGreaterThan(1);
  });
});

describe('runs formed in parallel', () => {
  it('gives the same output when the worker thread sorts and writes part of the runs', async () => {
    for (const unique of [false, true]) {
      const stats = await compareWithGnuSort('parallel runs', inputs['multi-pass (3 MB)'] as Buffer, {
        memoryBytes: 256 << 10,
        unique,
        workerReserveBytes: 16 << 10,
      });
      expect(stats.runs).toBeGreaterThan(2);
      expect(stats.workerRuns).toBeGreaterThan(0);
      expect(stats.workerRuns).toBeLessThanOrEqual(stats.runs);
    }
  });

  it('uses no worker for an input that fits in one run', async () => {
    const stats = await compareWithGnuSort('one run', inputs['many duplicates'] as Buffer, {
      memoryBytes: 4 << 20,
      workerReserveBytes: 16 << 10,
    });
    expect(stats).toMatchObject({ runs: 0, workerRuns: 0, mergePasses: 0 });
  });
});

describe('failures leave nothing behind', () => {
  const input = () => join(dir, 'failing-input');
  beforeAll(async () => writeFile(input(), inputs['multi-pass (3 MB)'] as Buffer));

  it('removes the temp folder and the partial output after an error in the middle of the merge', async () => {
    const parent = join(dir, 'tmp-parent');
    await mkdir(parent);
    const output = join(dir, 'failed-output');
    let tempDir = '';
    let merging = 0;
    const failing = externalSort({
      input: input(),
      output,
      memoryBytes: 64 << 10,
      tmp: parent,
      onTempDir: (path) => (tempDir = path),
      // The merge reports progress after every refill: failing there is failing in the middle of a merge.
      progress: {
        start(phase) {
          if (phase.startsWith('merge')) merging = 1;
        },
        update() {
          if (merging > 0 && ++merging > 20) throw new Error('injected failure');
        },
        stop() {},
      },
    });
    await expect(failing).rejects.toThrow('injected failure');
    expect(tempDir.startsWith(parent)).toBe(true);
    expect(await readdir(parent)).toEqual([]);
    expect((await readdir(dir)).filter((name) => name.includes('failed-output'))).toEqual([]);
  });

  it('rejects an output folder that does not exist before creating anything', async () => {
    const parent = join(dir, 'tmp-parent-2');
    await mkdir(parent);
    const failing = externalSort({
      input: input(),
      output: join(dir, 'no-such-folder', 'out'),
      memoryBytes: 1 << 20,
      tmp: parent,
    });
    await expect(failing).rejects.toThrow(UsageError);
    await expect(failing).rejects.toThrow(/no-such-folder/);
    expect(await readdir(parent)).toEqual([]);
  });

  it('rejects output = input', async () => {
    await expect(externalSort({ input: input(), output: input(), memoryBytes: 1 << 20 })).rejects.toThrow(
      /must not be the input/,
    );
  });
});

describe('the memory budget in phase 1', () => {
  it('counts every run in flight and the worker: slots, write buffers and reserve fit in the arena, disjoint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 24 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.integer({ min: 0, max: 2 ** 24 }),
        (runWords, inputBytes, reserve) => {
          const runBytes = 8 * runWords;
          const writerBytes = 8 * Math.floor(Math.min(4 * 2 ** 20, runBytes / 15) / 8);
          const layout = runLayout(inputBytes, runBytes, writerBytes, reserve);
          const { slots, whole, mainWriteBuffer, workerWriteBuffer } = layout;
          const regions = [...slots, mainWriteBuffer, workerWriteBuffer].sort((a, b) => a.offset - b.offset);
          let end = 0;
          for (const { offset, size } of regions) {
            expect(offset % 8).toBe(0);
            expect(size % 8).toBe(0);
            expect(offset).toBeGreaterThanOrEqual(end);
            end = offset + size;
          }
          expect(end).toBeLessThanOrEqual(runBytes + writerBytes);
          // The whole run space (for a line too long for a slot) is the slots together, the worker's reserve aside.
          expect(whole).toEqual({ offset: 0, size: slots.reduce((sum, slot) => sum + slot.size, 0) });
          const parallel = inputBytes > runBytes && runBytes >= 4 * reserve;
          expect(slots.length).toBe(parallel ? 3 : 1);
          if (parallel) expect(runBytes - whole.size).toBeGreaterThanOrEqual(reserve);
        },
      ),
    );
  });
});

describe('runs formed in parallel, long lines', () => {
  it('reads a line too long for a slot into the whole run space', async () => {
    // Slots of about 54 KiB: the first run fits in one and goes to the worker, the 60 KB lines do not.
    const content = lines(
      ...Array.from({ length: 60 }, (_, i) => `${i % 7}`.repeat(i % 20 === 10 ? 60_000 : 2_000)),
    );
    const stats = await compareWithGnuSort('line longer than a slot', content, {
      memoryBytes: 256 << 10,
      workerReserveBytes: 16 << 10,
    });
    expect(stats.workerRuns).toBeGreaterThan(0);
  });
});
