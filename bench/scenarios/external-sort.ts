// The external sort lesson against GNU sort: the same generated file (1 GB; ~5 MB with --smoke), sorted with
// `--memory 100MB` by ours and with `sort -S 100M` by GNU sort, with and without unique, each a child process.
// The outputs must be byte-identical (cmp), or the scenario fails.
//
// GNU sort sorts with 2 threads by default on a 2-core machine; ours uses one. So there are two baselines:
// GNU sort as it comes, and GNU sort with --parallel=1. Both sides run once per case (a 1 GB sort takes tens of
// seconds, and the machine is shared), under /usr/bin/time, which reports each one's peak RSS: a small parent,
// so the child's high-water mark is its own (Linux carries the parent's across exec).
//
// Our CLI runs under tsx as `pnpm lesson:sort` does; the loader thread's memory (measured on an empty script)
// is reported beside our peak RSS, since a compiled build would not carry it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defineScenario, type Row, type ScenarioContext } from '../lib/index.js';

const run = promisify(execFile);
const TIME = '/usr/bin/time';
const SORT = '/usr/bin/sort';
const LESSON = 'lessons/external-sort/src';

interface Measured {
  seconds: number;
  rssMiB: number;
}

/** Runs `command args` under /usr/bin/time: wall seconds (measured here) and peak RSS. */
async function measure(ctx: ScenarioContext, command: string, args: string[]): Promise<Measured> {
  const started = performance.now();
  const { stderr } = await run(TIME, ['-f', 'maxrss=%M', command, ...args], {
    cwd: ctx.rootDir,
    env: { ...process.env, LC_ALL: 'C' },
    maxBuffer: 1 << 20,
  });
  const seconds = (performance.now() - started) / 1000;
  const kib = Number(/maxrss=(\d+)/.exec(stderr)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`${command} printed no maxrss: ${stderr}`);
  return { seconds, rssMiB: kib / 1024 };
}

const node = (script: string, args: string[]) => ['--import', 'tsx', script, ...args];

export default defineScenario({
  name: 'external-sort',
  description:
    'lesson:sort --memory 100MB on a generated 1 GB file (lines of 1..200 printable ASCII, 25 % repeats).',
  baseline: 'LC_ALL=C sort -S 100M (2 threads), and with --parallel=1',
  async run(ctx) {
    if (!existsSync(SORT)) ctx.skip(`${SORT} is not installed`);
    if (!existsSync(TIME)) ctx.skip(`${TIME} is not installed`);
    const dir = await ctx.tempDir('data-');
    const tmp = await ctx.tempDir('runs-');
    const input = join(dir, 'input.txt');
    const lines = ctx.smoke ? 50_000 : 10_000_000;
    const size = ctx.smoke ? '5 MB' : '1 GB';
    ctx.log(`generating ${lines} lines (${size})`);
    await ctx.runProcess({
      name: 'gen-lines',
      script: `${LESSON}/gen-lines.ts`,
      args: [
        '--lines',
        String(lines),
        '--max-length',
        '200',
        '--duplicates',
        '0.25',
        '--seed',
        '1',
        '--out',
        input,
      ],
    });

    const empty = join(dir, 'empty.ts');
    await writeFile(empty, '');
    const bare = await measure(ctx, process.execPath, ['-e', '']);
    const withLoader = await measure(ctx, process.execPath, node(empty, []));
    const loaderMiB = withLoader.rssMiB - bare.rssMiB;

    const rows: Row[] = [];
    for (const unique of [false, true]) {
      const label = `${size}${unique ? ', unique' : ''}`;
      const flag = unique ? ['-u'] : [];
      const outputs = { ours: join(dir, 'ours'), gnu: join(dir, 'gnu'), gnu1: join(dir, 'gnu1') };
      ctx.log(`${label}: GNU sort`);
      const gnu = await measure(ctx, SORT, [...flag, '-S', '100M', '-T', tmp, '-o', outputs.gnu, input]);
      ctx.log(`${label}: GNU sort --parallel=1`);
      const gnu1 = await measure(ctx, SORT, [
        ...[...flag, '--parallel=1', '-S', '100M', '-T', tmp, '-o', outputs.gnu1, input],
      ]);
      ctx.log(`${label}: lesson:sort`);
      const ours = await measure(
        ctx,
        process.execPath,
        node(`${LESSON}/sort-cli.ts`, [
          ...['--input', input, '--output', outputs.ours, '--memory', '100MB', '--tmp', tmp],
          ...(unique ? ['--unique'] : []),
        ]),
      );
      for (const other of [outputs.gnu, outputs.gnu1]) {
        await run('cmp', [outputs.ours, other]).catch(() => {
          throw new Error(
            `${label}: our output differs from ${other === outputs.gnu ? 'sort' : 'sort --parallel=1'}`,
          );
        });
      }
      rows.push(
        {
          case: `sort ${label}`,
          metric: 's',
          project: ours.seconds,
          baseline: gnu.seconds,
          higherIsBetter: false,
        },
        {
          case: `sort ${label} (vs --parallel=1)`,
          metric: 's',
          project: ours.seconds,
          baseline: gnu1.seconds,
          higherIsBetter: false,
        },
        {
          case: `sort ${label}`,
          metric: 'peak RSS MiB',
          project: ours.rssMiB,
          baseline: gnu.rssMiB,
          higherIsBetter: false,
        },
        {
          case: `sort ${label}, without the tsx loader (${loaderMiB.toFixed(0)} MiB)`,
          metric: 'peak RSS MiB',
          project: ours.rssMiB - loaderMiB,
          baseline: null,
          higherIsBetter: false,
        },
      );
    }
    return rows;
  },
});
