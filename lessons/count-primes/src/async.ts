// Counts the prime lines of FILE on one thread, in slices of 16 KiB with a turn of the event loop
// (setImmediate) between slices, and reports the worst event-loop delay that caused.
//
// The point of the lesson: this is no faster than sync.ts (the same CPU work on the same single thread, plus the
// cost of yielding), but the process stays responsive: a timer or a request waits at most one slice (about a
// millisecond) instead of the whole run. "Async" buys responsiveness, not throughput.
//
//   pnpm lesson:primes:async FILE
import { createReadStream } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { printReport, progressBar, parseCommandLine, runProgram } from './cli.js';
import { PrimeCounter } from './prime-counter.js';

const SLICE_BYTES = 16 * 1024;

async function countPrimesAsync(file: string, fileSize: number): Promise<number> {
  const progress = progressBar(fileSize);
  const counter = new PrimeCounter();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let start = 0; start < chunk.length; start += SLICE_BYTES) {
      counter.write(chunk, start, Math.min(start + SLICE_BYTES, chunk.length));
      progress.update(counter.position);
      await nextTurn();
    }
  }
  counter.end();
  progress.stop();
  return counter.primes;
}

runProgram(async () => {
  const { file, fileSize } = parseCommandLine('usage: async.ts FILE', {});
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const primes = await countPrimesAsync(file, fileSize);
  const elapsed = performance.now() - started;
  delay.disable();
  // The histogram is in nanoseconds, and includes the sampling interval (resolution) itself.
  const worstMs = delay.max / 1e6;
  printReport(primes, elapsed, [`worst event-loop delay: ${worstMs.toFixed(1)} ms`]);
});
