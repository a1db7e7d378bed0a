// Counts the prime lines of FILE with a pool of worker threads that share a queue of chunks (see
// chunk-queue.ts). Each thread opens the file itself and reads only the chunks it takes, so no thread ever
// holds more than one chunk, and the main thread only adds up counts. With N cores the CPU work runs N-wide:
// this is what buys throughput, where async.ts only bought responsiveness.
//
// A bad line stops the run. Since chunks are taken in order, every chunk before the one with the bad line was
// taken earlier and is finished by its thread; the earliest reported bad line is therefore the file's first.
// Its line number is found by counting the `\n` bytes before it: a second pass over the file, only in that case.
//
//   pnpm lesson:primes:worker FILE [--threads N] [--chunk-bytes B]
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { chunkCount, type ChunkWorkerData, type ChunkWorkerMessage } from './chunk-queue.js';
import {
  integerOption,
  parseCommandLine,
  printReport,
  progressBar,
  runProgram,
  threadsOption,
} from './cli.js';
import { BadLineError } from './prime-counter.js';

const DEFAULT_CHUNK_BYTES = 1 << 20;

interface PoolOptions {
  threads: number;
  /** Small values are for tests: they make many lines straddle chunk boundaries. */
  chunkBytes: number;
  onProgress?: (bytesDone: number) => void;
}

async function countPrimesWithWorkers(file: string, fileSize: number, options: PoolOptions): Promise<number> {
  const { threads, chunkBytes } = options;
  if (chunkCount(fileSize, chunkBytes) >= 2 ** 31)
    throw new Error('--chunk-bytes is too small for this file');
  const data: ChunkWorkerData = { file, fileSize, chunkBytes, queue: new SharedArrayBuffer(2 * 4) };

  let primes = 0;
  let bytesDone = 0;
  let firstBad: { offset: number; reason: string } | undefined;
  const onMessage = (message: ChunkWorkerMessage) => {
    if (message.type === 'chunk') {
      primes += message.primes;
      bytesDone += message.bytes;
      options.onProgress?.(bytesDone);
    } else if (firstBad === undefined || message.offset < firstBad.offset) {
      firstBad = message;
    }
  };

  // The compiled sibling: this file runs from dist/ (lessons/build.js), where chunk-worker.ts is chunk-worker.js.
  // A thread is then a bare V8 isolate running plain JavaScript, with no TypeScript loader of its own to load.
  // A thread keeps nothing from one chunk to the next, so a young generation (V8's nursery) larger than 2 MiB
  // would only hold garbage for longer: left to grow, it added memory to every thread and saved no time.
  const chunkWorker = new URL('./chunk-worker.js', import.meta.url);
  const resourceLimits = { maxYoungGenerationSizeMb: 2 };
  const workers = Array.from(
    { length: threads },
    () => new Worker(chunkWorker, { workerData: data, resourceLimits }),
  );
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.on('message', onMessage);
            worker.once('error', reject);
            worker.once('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`a worker thread exited with code ${code}`)),
            );
          }),
      ),
    );
  } finally {
    // Only does something when one failed: the others stop at once rather than finish the file for nothing.
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  if (firstBad !== undefined) {
    const line = 1 + (await countNewlines(file, firstBad.offset));
    throw new BadLineError(line, firstBad.offset, firstBad.reason);
  }
  return primes;
}

/** The number of `\n` bytes in the first `end` bytes of the file. */
async function countNewlines(file: string, end: number): Promise<number> {
  let count = 0;
  if (end === 0) return 0;
  for await (const chunk of createReadStream(file, { end: end - 1 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) count++;
  }
  return count;
}

runProgram(async () => {
  const usage = 'usage: worker.ts FILE [--threads N] [--chunk-bytes B]';
  const { file, fileSize, values } = parseCommandLine(usage, {
    threads: { type: 'string' },
    'chunk-bytes': { type: 'string' },
  });
  const threads = threadsOption(values.threads);
  const chunkBytes =
    values['chunk-bytes'] === undefined
      ? DEFAULT_CHUNK_BYTES
      : integerOption('chunk-bytes', values['chunk-bytes'], 1);
  const started = performance.now();
  const progress = progressBar(fileSize);
  const primes = await countPrimesWithWorkers(file, fileSize, {
    threads,
    chunkBytes,
    onProgress: (bytes) => progress.update(bytes),
  });
  progress.stop();
  printReport(primes, performance.now() - started, [`threads: ${threads}`]);
});
