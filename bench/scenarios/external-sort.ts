// The external sort lesson against GNU sort: the same generated file (1 GB; ~5 MB with --smoke), sorted with
// `--memory 100MB` by ours and with `sort -S 100M` by GNU sort, with and without unique, each a child process.
// The outputs must be byte-identical (cmp), or the scenario fails.
//
// GNU sort sorts with 2 threads by default on a 2-core machine; ours forms its runs on two threads too (a
// worker sorts while the main thread reads) and merges on one. There are two baselines: GNU sort as it comes,
// and GNU sort with --parallel=1. Both sides run once per case (a 1 GB sort takes tens of
// seconds, and the machine is shared). Ours runs as `pnpm lesson:sort` runs it, compiled, with bare node, and
// its peak RSS is the one it prints; GNU sort's comes from /usr/bin/time (GNU or BSD), or is left out when
// there is none (see lib/measured-run.ts).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildLesson,
  defineScenario,
  reportedPeakRssMiB,
  runLessonProgram,
  runTimed,
  type Row,
} from '../lib/index.js';

const run = promisify(execFile);
const SORT = '/usr/bin/sort';
const LESSON = 'lessons/external-sort/dist';
/** What the lesson promises at --memory 100MB: peak RSS ≤ --memory + 64 MiB. */
const LIMIT_MIB = 100e6 / 2 ** 20 + 64;

export default defineScenario({
  name: 'external-sort',
  description:
    'lesson:sort --memory 100MB on a generated 1 GB file (lines of 1..200 printable ASCII, 25 % repeats).',
  baseline: 'LC_ALL=C sort -S 100M (2 threads), and with --parallel=1',
  async run(ctx) {
    if (!existsSync(SORT)) ctx.skip(`${SORT} is not installed`);
    await buildLesson('external-sort');
    const dir = await ctx.tempDir('data-');
    const tmp = await ctx.tempDir('runs-');
    const input = join(dir, 'input.txt');
    const lines = ctx.smoke ? 50_000 : 10_000_000;
    const size = ctx.smoke ? '5 MB' : '1 GB';
    ctx.log(`generating ${lines} lines (${size})`);
    await runLessonProgram(ctx, `${LESSON}/gen-lines.js`, [
      ...['--lines', String(lines), '--max-length', '200', '--duplicates', '0.25'],
      ...['--seed', '1', '--out', input],
    ]);
    const env = { ...process.env, LC_ALL: 'C' };

    const rows: Row[] = [];
    for (const unique of [false, true]) {
      const label = `${size}${unique ? ', unique' : ''}`;
      const flag = unique ? ['-u'] : [];
      const outputs = { ours: join(dir, 'ours'), gnu: join(dir, 'gnu'), gnu1: join(dir, 'gnu1') };
      ctx.log(`${label}: GNU sort`);
      const gnu = await runTimed(
        ctx,
        SORT,
        [...flag, '-S', '100M', '-T', tmp, '-o', outputs.gnu, input],
        env,
      );
      ctx.log(`${label}: GNU sort --parallel=1`);
      const gnu1 = await runTimed(
        ctx,
        SORT,
        [...flag, '--parallel=1', '-S', '100M', '-T', tmp, '-o', outputs.gnu1, input],
        env,
      );
      ctx.log(`${label}: lesson:sort`);
      const ours = await runLessonProgram(ctx, `${LESSON}/sort-cli.js`, [
        ...['--input', input, '--output', outputs.ours, '--memory', '100MB', '--tmp', tmp],
        ...(unique ? ['--unique'] : []),
      ]);
      const oursRssMiB = reportedPeakRssMiB(ours);
      if (oursRssMiB > LIMIT_MIB) {
        ctx.warn(
          `${label}: peak RSS ${oursRssMiB} MiB, above --memory + 64 MiB (${LIMIT_MIB.toFixed(1)} MiB)`,
        );
      }
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
          project: oursRssMiB,
          baseline: gnu.peakRssMiB,
          higherIsBetter: false,
        },
      );
    }
    return rows;
  },
});
