// Counting primes in a file of numbers, one thread against many: lessons/count-primes.
//
// One file of 50,000,000 random integers (200,000 with --smoke) in 0..2^32 − 1 is generated once with
// gen-numbers; sync (the baseline), async and worker then count its primes, each as `pnpm lesson:primes:*` runs
// it (compiled, bare node, its own process), and must agree. The maximum is 2^32 − 1, the largest value
// Miller–Rabin handles in Number arithmetic: primality testing is then most of the work (as the lesson wants),
// and a run takes tens of seconds rather than minutes (values up to 2^53 − 1 go through BigInt, about 4× slower
// per number).
//
// Reported: each program's own `elapsed` (counting only, after Node has started; worker includes starting its
// threads), so ratio = sync / program = the speedup over sync; and each one's peak RSS, the number it prints
// (see lib/measured-run.ts). Outside --smoke the worker also runs with 16 and 24 threads (its most), for the
// memory the lesson promises whatever the thread count: ≤ 500 MB.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { buildLesson, defineScenario, reportedPeakRssMiB, runLessonProgram, type Row } from '../lib/index.js';

const LESSON = 'lessons/count-primes/dist';
const MAX = 2 ** 32 - 1;
const LIMIT_MIB = 500e6 / 2 ** 20;

function field(output: string, name: string): number {
  const match = new RegExp(`^${name}: ([\\d.]+)`, 'm').exec(output);
  if (!match) throw new Error(`no "${name}" in:\n${output}`);
  return Number(match[1]);
}

export default defineScenario({
  name: 'count-primes',
  description: `primes among 50,000,000 random integers ≤ 2^32 − 1; available parallelism ${availableParallelism()}.`,
  baseline: 'sync (one thread)',
  async run(ctx) {
    await buildLesson('count-primes');
    const count = ctx.smoke ? 200_000 : 50_000_000;
    const file = join(await ctx.tempDir('numbers-'), 'numbers.txt');
    ctx.log(`generating ${count} numbers`);
    await runLessonProgram(ctx, `${LESSON}/gen-numbers.js`, [
      ...['--count', String(count), '--max', String(MAX), '--seed', '1', '--out', file],
    ]);

    const runs: [label: string, program: string, args: string[]][] = [
      ['sync', 'sync', []],
      ['async', 'async', []],
      ['worker', 'worker', []],
      ...(ctx.smoke
        ? []
        : [16, 24].map((threads): [string, string, string[]] => [
            `worker, ${threads} threads`,
            'worker',
            ['--threads', String(threads)],
          ])),
    ];
    const results = [];
    for (const [label, program, args] of runs) {
      ctx.log(`running ${label}`);
      const measured = await runLessonProgram(ctx, `${LESSON}/${program}.js`, [file, ...args]);
      const { stdout } = measured;
      const rssMiB = reportedPeakRssMiB(measured);
      if (rssMiB > LIMIT_MIB) ctx.warn(`${label}: peak RSS ${rssMiB} MiB, above 500 MB`);
      results.push({
        label,
        primes: field(stdout, 'primes'),
        seconds: field(stdout, 'elapsed') / 1000,
        rssMiB,
      });
    }
    const [sync, ...others] = results;
    if (!sync || results.some((r) => r.primes !== sync.primes)) {
      throw new Error(`the programs disagree: ${results.map((r) => `${r.label} ${r.primes}`).join(', ')}`);
    }
    ctx.log(`${sync.primes} primes; peak RSS ${results.map((r) => `${r.label} ${r.rssMiB} MiB`).join(', ')}`);
    const numbers = `${count.toLocaleString('en')} numbers`;
    return others.flatMap((r): Row[] => [
      {
        case: `${r.label} (${numbers})`,
        metric: 's',
        project: r.seconds,
        baseline: sync.seconds,
        higherIsBetter: false,
      },
      {
        case: `${r.label} (${numbers})`,
        metric: 'peak RSS MiB',
        project: r.rssMiB,
        baseline: sync.rssMiB,
        higherIsBetter: false,
      },
    ]);
  },
});
