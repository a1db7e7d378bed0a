// The two CLIs run as child processes, as `pnpm lesson:*` runs them: exit codes, messages, Ctrl-C, memory.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateLines } from '../src/generate.js';
import { gnuSort, runCli, scratchDir, startCli } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await scratchDir();
});

// The cases in each block run side by side: most of them wait on a child process (Node can take a second to
// start on a busy machine), and each writes only files named after itself.
describe.concurrent('sort CLI', () => {
  it('rejects bad arguments with exit code 2 and a message naming the problem', async () => {
    const input = join(dir, 'small');
    await writeFile(input, 'b\na\n');
    const out = join(dir, 'small.sorted');
    const cases: [string[], RegExp][] = [
      [['--input', input, '--output', out, '--memory', '12XB'], /--memory expects a size .* got "12XB"/],
      [['--input', input, '--output', out, '--memory', '512KiB'], /--memory must be at least 1MiB/],
      [
        ['--input', join(dir, 'missing'), '--output', out, '--memory', '1MiB'],
        /--input: cannot read .*missing/,
      ],
      [['--input', input, '--output', input, '--memory', '1MiB'], /--output must not be the input/],
      [['--input', input, '--output', out, '--memory', '1MiB', '--fast'], /Unknown option '--fast'/],
      [['--input', input, '--memory', '1MiB'], /--output is required/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli('lesson:sort', args)));
    results.forEach((result, i) => {
      expect(result.stderr).toMatch(cases[i]?.[1] as RegExp);
      expect(result.code).toBe(2);
    });
    expect(existsSync(out)).toBe(false);
  });

  it('sorts, and reports lines, time and peak RSS on stderr', async () => {
    const input = join(dir, 'three');
    await writeFile(input, 'b\nc\na');
    const output = join(dir, 'three.sorted');
    const result = await runCli('lesson:sort', ['--input', input, '--output', output, '--memory', '1MiB']);
    expect(result.code).toBe(0);
    expect(await readFile(output, 'utf8')).toBe('a\nb\nc\n');
    expect(result.stderr).toMatch(/sorted 3 lines .* wrote 3/);
    expect(result.stderr).toMatch(/peak RSS: \d+ MiB/);
  });

  it('removes its temp folder and exits with 130 on SIGINT', async () => {
    const input = join(dir, 'big');
    await generateLines({ lines: 400_000, maxLength: 100, duplicates: 0, seed: 5, out: input });
    const parent = join(dir, 'interrupted');
    await mkdir(parent);
    const output = join(dir, 'big.sorted');
    const { child, done } = startCli('lesson:sort', [
      ...['--input', input, '--output', output, '--memory', '1MiB', '--tmp', parent],
    ]);
    // Wait until runs are being written, so that there is something to clean up.
    for (let tries = 0; ; tries++) {
      const [temp] = await readdir(parent);
      if (temp !== undefined && (await readdir(join(parent, temp)).catch(() => [])).length > 2) break;
      if (tries > 300) throw new Error('the sort never wrote a run');
      await sleep(50);
    }
    child.kill('SIGINT');
    const result = await done;
    expect(result.stderr).toMatch(/interrupted by SIGINT/);
    expect(result.code).toBe(130);
    expect(await readdir(parent)).toEqual([]);
    expect((await readdir(dir)).filter((name) => name.startsWith('.big.sorted'))).toEqual([]);
    expect(existsSync(output)).toBe(false);
  });
});

describe.concurrent('gen-lines CLI', () => {
  it('writes the same bytes for the same seed, and other bytes for another', async () => {
    const args = (seed: number, out: string) => [
      ...[
        '--lines',
        '5000',
        '--max-length',
        '50',
        '--duplicates',
        '0.3',
        '--seed',
        String(seed),
        '--out',
        out,
      ],
    ];
    const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, `gen-${name}`)) as [string, string, string];
    const results = await Promise.all([
      runCli('lesson:gen-lines', args(42, a)),
      runCli('lesson:gen-lines', args(42, b)),
      runCli('lesson:gen-lines', args(43, c)),
    ]);
    expect(results.map((result) => result.code)).toEqual([0, 0, 0]);
    const [bytesA, bytesB, bytesC] = await Promise.all([a, b, c].map((path) => readFile(path)));
    expect(bytesA?.equals(bytesB as Buffer)).toBe(true);
    expect(bytesA?.equals(bytesC as Buffer)).toBe(false);
  });

  it('rejects a bad ratio with exit code 2', async () => {
    const result = await runCli('lesson:gen-lines', [
      '--lines',
      '5',
      '--max-length',
      '5',
      '--duplicates',
      '2',
      '--out',
      join(dir, 'x'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--duplicates expects a ratio/);
  });

  it.each([
    [['--lines', '1e3'], /--lines expects an integer ≥ 0, got "1e3"/],
    [['--duplicates', ''], /--duplicates expects a ratio/],
    [['--max-length', '999999999999'], /--max-length expects an integer from 1 to 100000000/],
  ])('rejects %j with exit code 2 and a message', async (flag, message) => {
    const args = new Map([
      ['--lines', '5'],
      ['--max-length', '5'],
      ['--out', join(dir, 'y')],
    ]);
    args.set(flag[0] as string, flag[1] as string);
    const result = await runCli('lesson:gen-lines', [...args].flat());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe.concurrent('generateLines', () => {
  it('writes N lines of 1..L printable ASCII characters, about RATIO of them repeats', async () => {
    for (const { maxLength, duplicates } of [
      { maxLength: 1, duplicates: 0 },
      { maxLength: 80, duplicates: 0 },
      { maxLength: 80, duplicates: 0.25 },
      { maxLength: 300, duplicates: 0.9 },
    ]) {
      const out = join(dir, `gen-${maxLength}-${duplicates}`);
      const bytes = await generateLines({ lines: 20_000, maxLength, duplicates, seed: 9, out });
      expect((await stat(out)).size).toBe(bytes);
      const text = await readFile(out, 'latin1');
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      expect(lines).toHaveLength(20_000);
      // One assertion over all the lines, not one per line: 160,000 expect() calls took seconds.
      expect(lines.filter((line) => line.length < 1 || line.length > maxLength)).toEqual([]);
      expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
      if (maxLength > 1) {
        const repeats = lines.length - new Set(lines).size;
        expect(Math.abs(repeats / lines.length - duplicates)).toBeLessThan(0.02);
      }
    }
  });

  it('writes lines longer than its 4 MiB write chunks whole', async () => {
    const out = join(dir, 'gen-long');
    const maxLength = 9_000_000;
    const bytes = await generateLines({ lines: 4, maxLength, duplicates: 0, seed: 3, out });
    const text = await readFile(out, 'latin1');
    expect(text.length).toBe(bytes);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(4);
    expect(Math.max(...lines.map((line) => line.length))).toBeGreaterThan(4 * 1024 * 1024);
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
  });

  it('makes input that the CLI sorts like sort -u', async () => {
    // Sorting is covered in depth by external-sort.test.ts; here only the CLI path end to end.
    const input = join(dir, 'gen-for-cli');
    await generateLines({ lines: 30_000, maxLength: 60, duplicates: 0.5, seed: 11, out: input });
    const ours = join(dir, 'gen-for-cli.ours');
    const theirs = join(dir, 'gen-for-cli.theirs');
    const result = await runCli('lesson:sort', [
      '--input',
      input,
      '--output',
      ours,
      '--memory',
      '1MiB',
      '--unique',
    ]);
    expect(result.code).toBe(0);
    await gnuSort(input, theirs, true);
    expect((await readFile(ours)).equals(await readFile(theirs))).toBe(true);
  });
});
