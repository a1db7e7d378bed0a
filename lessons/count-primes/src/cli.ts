// What the three counting programs share: the command line, the progress bar, the report they print and how
// they end. Results go to stdout (`primes: …`, `elapsed: … ms`, `peak RSS: … MiB`, one per line, for people and
// for compare.ts to read); the progress bar and errors go to stderr. A malformed line ends the run with
// `line <n>: <reason>` and exit code 1; a wrong command line (or a FILE that is not a readable file) with exit
// code 2. Whatever goes wrong, the user sees one message, never a stack trace.
import { SingleBar } from 'cli-progress';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BadLineError } from './prime-counter.js';

export class UsageError extends Error {}

/**
 * Parses `FILE [options]` and checks FILE once, up front, so that a typo gets a plain message rather than an
 * error from deep inside a read (or from every worker thread). Throws UsageError with `usage` when it does not fit.
 */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  usage: string,
  options: T,
) {
  let parsed;
  try {
    parsed = parseArgs({ options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(usage);
  const stats = statSync(file, { throwIfNoEntry: false });
  if (stats === undefined) throw new UsageError(`${file}: no such file\n${usage}`);
  if (!stats.isFile()) throw new UsageError(`${file}: not a regular file\n${usage}`);
  return { file, fileSize: stats.size, values: parsed.values };
}

/** A whole number in min..max from an option's text. */
export function integerOption(
  name: string,
  text: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} expects an integer ${range}, got "${text}"`);
  }
  return value;
}

/**
 * The most threads worker.ts starts. Each is a V8 isolate of its own, resident however large the file, and
 * newer Node versions' isolates keep more compiled code. 24 of them and the main thread stay within the 500 MB
 * the lesson promises (test/memory.test.ts checks it); 32 did not on Node 24. More would only add start-up time
 * on any machine this lesson is likely to meet.
 */
export const MAX_THREADS = 24;

/** --threads: 1 to MAX_THREADS, by default one per core (at most MAX_THREADS). */
export function threadsOption(text: string | undefined): number {
  return text === undefined
    ? Math.min(availableParallelism(), MAX_THREADS)
    : integerOption('threads', text, 1, MAX_THREADS);
}

export interface Progress {
  update(bytesDone: number): void;
  stop(): void;
}

/** A progress bar over the file's bytes on stderr, or nothing when stderr is not a terminal (pipes, CI, tests). */
export function progressBar(totalBytes: number): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: '{bar} {percentage}% | {value}/{total} MiB | ETA {eta}s',
    hideCursor: true,
    clearOnComplete: true,
  });
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  bar.start(mib(totalBytes), 0);
  return {
    update: (bytesDone) => bar.update(mib(bytesDone)),
    stop: () => bar.stop(),
  };
}

/** The largest resident set size of this process so far (all threads), in MiB. */
function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB
}

/** Prints the report; `extra` lines come between elapsed and peak RSS. */
export function printReport(primes: number, elapsedMs: number, extra: string[] = []): void {
  const lines = [
    `primes: ${primes}`,
    `elapsed: ${Math.round(elapsedMs)} ms`,
    ...extra,
    `peak RSS: ${peakRssMiB()} MiB`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Runs a program's main function and turns its failures into a message on stderr and an exit code. */
export function runProgram(main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      if (error instanceof BadLineError) {
        process.stderr.write(`line ${error.line}: ${error.reason}\n`);
        process.exitCode = 1;
      } else if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
