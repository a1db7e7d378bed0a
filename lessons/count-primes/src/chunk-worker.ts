// The body of one worker thread of worker.ts: takes chunks from the shared queue until it is empty (or a bad
// line was found anywhere), counts the primes among the lines each chunk owns, and posts one message per chunk.
// Reads are blocking (readSync): this thread has nothing else to do while it waits for the disk.
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { chunkCount, NEXT, STOP, type ChunkWorkerData, type ChunkWorkerMessage } from './chunk-queue.js';
import { BadLineError, PrimeCounter } from './prime-counter.js';

const NEWLINE = 0x0a;
/** How much is read at a time past the end of a chunk to finish its last line (valid lines are ≤ 17 bytes). */
const TAIL_BYTES = 64;

const { file, fileSize, chunkBytes, queue } = workerData as ChunkWorkerData;
const shared = new Int32Array(queue);
const chunks = chunkCount(fileSize, chunkBytes);
const fd = openSync(file, 'r');
// One more byte than a chunk: the byte before the range says whether the range starts on a line start.
const block = Buffer.allocUnsafe(chunkBytes + 1);
const tail = Buffer.allocUnsafe(TAIL_BYTES);

function post(message: ChunkWorkerMessage): void {
  parentPort!.postMessage(message);
}

/** Reads exactly `length` bytes at `position` (a single readSync may return fewer). */
function readExactly(buffer: Buffer, length: number, position: number): void {
  for (let done = 0; done < length;) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) throw new Error(`${file} is shorter than expected: was it changed while being read?`);
    done += read;
  }
}

/** Counts the primes among the lines that start in [start, end). */
function countChunk(start: number, end: number): number {
  const from = start === 0 ? 0 : start - 1;
  const length = end - from;
  readExactly(block, length, from);
  let first = 0; // index in `block` of the first line start the chunk owns
  if (start > 0) {
    const newline = block.subarray(0, length).indexOf(NEWLINE);
    // No `\n` before `end`: the whole range lies inside a line that an earlier chunk owns.
    if (newline === -1 || newline + 1 === length) return 0;
    first = newline + 1;
  }
  const counter = new PrimeCounter(from + first);
  counter.write(block, first, length);
  if (block[length - 1] !== NEWLINE) finishLastLine(counter, end);
  counter.end();
  return counter.primes;
}

/** Feeds `counter` from `position` up to and including the next `\n`, or to the end of the file. */
function finishLastLine(counter: PrimeCounter, position: number): void {
  while (position < fileSize) {
    const read = readSync(fd, tail, 0, TAIL_BYTES, position);
    if (read === 0) throw new Error(`${file} is shorter than expected: was it changed while being read?`);
    const newline = tail.subarray(0, read).indexOf(NEWLINE);
    if (newline !== -1) {
      counter.write(tail, 0, newline + 1);
      return;
    }
    counter.write(tail, 0, read);
    position += read;
  }
}

try {
  while (Atomics.load(shared, STOP) === 0) {
    const index = Atomics.add(shared, NEXT, 1);
    if (index >= chunks) break;
    const start = index * chunkBytes;
    const end = Math.min(start + chunkBytes, fileSize);
    try {
      post({ type: 'chunk', primes: countChunk(start, end), bytes: end - start });
    } catch (error) {
      if (!(error instanceof BadLineError)) throw error;
      // Tell the others to stop taking chunks; the ones already taken (all earlier chunks among them) finish.
      Atomics.store(shared, STOP, 1);
      post({ type: 'bad-line', offset: error.lineStart, reason: error.reason });
    }
  }
} finally {
  closeSync(fd);
}
