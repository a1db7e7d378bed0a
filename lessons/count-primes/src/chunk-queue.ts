// The contract between worker.ts (the main thread) and chunk-worker.ts (each worker thread).
//
// The file is cut into fixed-size byte ranges ("chunks"): chunk i is [i·chunkBytes, min((i+1)·chunkBytes, size)).
// The queue is two Int32 cells in a SharedArrayBuffer that every thread sees: NEXT, the index of the next chunk
// nobody has taken yet, and STOP, set when a bad line was found. A thread takes a chunk with
// Atomics.add(NEXT, 1), which returns the old value: two threads can never get the same index, and no lock or
// message is needed to hand out work. Chunks are taken in increasing order, so a fast thread simply takes more.
//
// A chunk owns the lines that START inside it. A thread counting [a, b) skips the partial line it lands in,
// unless a = 0 or byte a − 1 is `\n`, and reads past b to finish the last line it owns. Every line is thus
// counted exactly once, by exactly one thread, however the chunk size cuts the file.

export const NEXT = 0;
export const STOP = 1;

export interface ChunkWorkerData {
  file: string;
  fileSize: number;
  chunkBytes: number;
  /** Int32Array over it: [NEXT, STOP]. */
  queue: SharedArrayBuffer;
}

export type ChunkWorkerMessage =
  /** One chunk counted: `bytes` is the chunk's size (for the progress bar). */
  | { type: 'chunk'; primes: number; bytes: number }
  /** The first bad line of a chunk; `offset` is the byte offset of its first byte in the file. */
  | { type: 'bad-line'; offset: number; reason: string };

export function chunkCount(fileSize: number, chunkBytes: number): number {
  return Math.ceil(fileSize / chunkBytes);
}
