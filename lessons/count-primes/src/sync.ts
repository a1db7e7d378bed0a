// Counts the prime lines of FILE on one thread, reading it in 1 MiB blocks with blocking reads: the simplest
// correct program, and the baseline the others are measured against. Memory stays at one block whatever the
// file's size. While it runs, the event loop does not turn at all (nothing else in this process could run).
//
//   pnpm lesson:primes:sync FILE
import { closeSync, openSync, readSync } from 'node:fs';
import { printReport, progressBar, parseCommandLine, runProgram } from './cli.js';
import { PrimeCounter } from './prime-counter.js';

const BLOCK_BYTES = 1 << 20;

function countPrimesSync(file: string, fileSize: number): number {
  const fd = openSync(file, 'r');
  try {
    const progress = progressBar(fileSize);
    const counter = new PrimeCounter();
    const block = Buffer.allocUnsafe(BLOCK_BYTES);
    for (let read; (read = readSync(fd, block, 0, BLOCK_BYTES, null)) > 0;) {
      counter.write(block, 0, read);
      progress.update(counter.position);
    }
    counter.end();
    progress.stop();
    return counter.primes;
  } finally {
    closeSync(fd);
  }
}

runProgram(() => {
  const { file, fileSize } = parseCommandLine('usage: sync.ts FILE', {});
  const started = performance.now();
  const primes = countPrimesSync(file, fileSize);
  printReport(primes, performance.now() - started);
});
