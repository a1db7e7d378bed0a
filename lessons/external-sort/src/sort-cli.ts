// pnpm lesson:sort --input FILE --output FILE --memory SIZE [--unique] [--tmp DIR]
//
// Prints a summary on stderr (the sorted lines only ever go to --output). Exit codes: 0 sorted, 1 failed,
// 2 bad arguments or paths, 130 / 143 interrupted by SIGINT / SIGTERM — in every case but success the temp
// folder and the partial output are removed before the process exits.
import { formatMiB, parseSortArgs, SORT_USAGE, UsageError } from './args.js';
import { externalSort } from './external-sort.js';
import { terminalProgress } from './progress.js';

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Aborting makes the sort throw at its next read or write and clean up on the way out. A second signal
  // finds no handler and ends the process at once.
  process.once(signal, () => controller.abort(signal));
}

const started = performance.now();
try {
  const args = parseSortArgs(process.argv.slice(2));
  const stats = await externalSort({
    ...args,
    signal: controller.signal,
    progress: terminalProgress(),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const passes =
    stats.runs === 0 ? 'no merge needed' : `${stats.runs} runs, ${stats.mergePasses} merge pass(es)`;
  process.stderr.write(
    `sorted ${stats.linesRead} lines (${formatMiB(stats.inputBytes)}), wrote ${stats.linesWritten}, ${passes}, in ${seconds} s\n` +
      // maxRSS is in KiB: the most memory the process ever held, the number the budget is about.
      `peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB\n`,
  );
} catch (error) {
  const reason: unknown = controller.signal.reason;
  if (controller.signal.aborted && (reason === 'SIGINT' || reason === 'SIGTERM')) {
    process.stderr.write(`sort: interrupted by ${reason}; temporary files removed\n`);
    process.exitCode = SIGNAL_EXIT_CODES[reason];
  } else if (error instanceof UsageError) {
    process.stderr.write(`sort: ${error.message}\n\n${SORT_USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`sort: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
