// Runs sync.ts, async.ts and worker.ts on FILE, one after the other, each as its own child process (so each
// peak RSS is its own), and prints a table. Fails if a program fails or the counts disagree.
//
//   pnpm lesson:primes:compare FILE [--threads N]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseCommandLine, runProgram, threadsOption } from './cli.js';

interface Result {
  program: string;
  primes: number;
  elapsedMs: number;
  peakRssMiB: number;
}

/**
 * Runs one program as `pnpm lesson:primes:<program>` does: its compiled sibling in dist/ with bare node. Its
 * progress bar and errors go to our stderr, its report is parsed.
 */
async function run(program: string, args: readonly string[]): Promise<Result> {
  const script = fileURLToPath(new URL(`./${program}.js`, import.meta.url));
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${program} exited with code ${code}`);
  const field = (name: string) => {
    const match = new RegExp(`^${name}: (\\d+)`, 'm').exec(stdout);
    if (!match) throw new Error(`${program} printed no "${name}":\n${stdout}`);
    return Number(match[1]);
  };
  return { program, primes: field('primes'), elapsedMs: field('elapsed'), peakRssMiB: field('peak RSS') };
}

function table(results: Result[]): string {
  const baseline = results[0]!.elapsedMs;
  const rows = [
    ['program', 'primes', 'elapsed ms', 'speedup', 'peak RSS MiB'],
    ...results.map((r) => [
      r.program,
      String(r.primes),
      String(r.elapsedMs),
      `${(baseline / r.elapsedMs).toFixed(2)}×`,
      String(r.peakRssMiB),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

runProgram(async () => {
  const { file, values } = parseCommandLine('usage: compare.ts FILE [--threads N]', {
    threads: { type: 'string' },
  });
  // Checked here too, so that a bad value stops the comparison before sync and async have run for nothing.
  const threadArgs = values.threads === undefined ? [] : ['--threads', String(threadsOption(values.threads))];
  const results: Result[] = [];
  for (const [program, args] of [
    ['sync', [file]],
    ['async', [file]],
    ['worker', [file, ...threadArgs]],
  ] as const) {
    process.stderr.write(`running ${program}…\n`);
    results.push(await run(program, args));
  }
  process.stdout.write(`${table(results)}\n`);
  const counts = new Set(results.map((r) => r.primes));
  if (counts.size !== 1)
    throw new Error(`the programs disagree: ${results.map((r) => `${r.program} ${r.primes}`).join(', ')}`);
});
