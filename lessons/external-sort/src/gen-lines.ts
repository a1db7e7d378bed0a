// pnpm lesson:gen-lines --lines N --max-length L [--duplicates RATIO] [--seed S] --out FILE
// Exit codes: 0 written, 1 failed while writing, 2 bad arguments.
import { GEN_LINES_USAGE, formatMiB, parseGenLinesArgs, UsageError } from './args.js';
import { generateLines } from './generate.js';

try {
  const args = parseGenLinesArgs(process.argv.slice(2));
  const started = performance.now();
  const bytes = await generateLines(args);
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `wrote ${args.lines} lines, ${formatMiB(bytes)}, to ${args.out} in ${seconds.toFixed(1)} s\n`,
  );
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`gen-lines: ${error.message}\n\n${GEN_LINES_USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`gen-lines: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
