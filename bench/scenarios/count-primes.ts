// Counting primes in a file of numbers, one thread against many: lessons/count-primes.
//
// One file of 50,000,000 random integers (200,000 with --smoke) in 0..2^32 − 1 is generated once with
// gen-numbers; sync.ts (the baseline), async.ts and worker.ts then count its primes, each as its own child
// process, and must agree. The maximum is 2^32 − 1, the largest value Miller–Rabin handles in Number arithmetic:
// primality testing is then most of the work (as the lesson wants), and a run takes tens of seconds rather than
// minutes (values up to 2^53 − 1 go through BigInt, about 4× slower per number).
//
// Reported: each program's own `elapsed` (counting only, after Node and tsx have started; worker.ts includes
// starting its threads), so ratio = sync / program = the speedup over sync.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defineScenario } from '../lib/index.js';

const LESSON = 'lessons/count-primes/src';
const MAX = 2 ** 32 - 1;

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
    const count = ctx.smoke ? 200_000 : 50_000_000;
    const file = join(await ctx.tempDir('numbers-'), 'numbers.txt');
    ctx.log(`generating ${count} numbers`);
    await ctx.runProcess({
      name: 'gen-numbers',
      script: `${LESSON}/gen-numbers.ts`,
      args: ['--count', String(count), '--max', String(MAX), '--seed', '1', '--out', file],
    });

    const results = [];
    for (const program of ['sync', 'async', 'worker']) {
      ctx.log(`running ${program}`);
      const output = await ctx.runProcess({ name: program, script: `${LESSON}/${program}.ts`, args: [file] });
      results.push({
        program,
        primes: field(output, 'primes'),
        seconds: field(output, 'elapsed') / 1000,
        rssMiB: field(output, 'peak RSS'),
      });
    }
    const [sync, ...others] = results;
    if (!sync || results.some((r) => r.primes !== sync.primes)) {
      throw new Error(`the programs disagree: ${results.map((r) => `${r.program} ${r.primes}`).join(', ')}`);
    }
    ctx.log(
      `${sync.primes} primes; peak RSS ${results.map((r) => `${r.program} ${r.rssMiB} MiB`).join(', ')}`,
    );
    return others.flatMap((r) => [
      {
        case: `${r.program} (${count.toLocaleString('en')} numbers)`,
        metric: 's',
        project: r.seconds,
        baseline: sync.seconds,
        higherIsBetter: false,
      },
      {
        case: `${r.program} (${count.toLocaleString('en')} numbers)`,
        metric: 'peak RSS MiB',
        project: r.rssMiB,
        baseline: sync.rssMiB,
        higherIsBetter: false,
      },
    ]);
  },
});
