// A worker thread that sorts and writes runs (runs.ts, sortAndWriteRun) while the main thread reads the next one.
//
// The arena is a SharedArrayBuffer handed to the thread once; a job names a slot of it, the run's shape and a
// file, so a run of tens of MB crosses between the threads as a few numbers, never copied. Jobs queue up in the
// thread's message port and are done in order, one at a time; a slot belongs to its job until the job settles,
// and the slots are the memory the budget counts. A queued job lets the thread start its next run the moment it
// finishes one, even while the main thread is busy sorting a run of its own.
//
// This module is both sides: imported, it exports RunSorter; loaded as the worker (workerData says so), it
// serves jobs. The worker runs the compiled file (lessons/build.js), a bare V8 isolate with no TypeScript loader.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { sortAndWriteRun, type ReadRun, type Slot } from './runs.js';

const ROLE = 'external-sort run sorter';

interface WorkerData {
  role: typeof ROLE;
  arena: SharedArrayBuffer;
}

interface Job {
  slot: Slot;
  run: ReadRun;
  path: string;
  writeBuffer: Slot;
  unique: boolean;
}

type Reply = { lines: number } | { error: string };

/**
 * The compiled module, whichever file this one is: tests import the TypeScript source, whose worker must still
 * be plain JavaScript (test/global-setup.ts builds dist/ before they run).
 */
const workerUrl = import.meta.url.endsWith('.ts')
  ? new URL('../dist/run-sorter.js', import.meta.url)
  : new URL(import.meta.url);

export class RunSorter {
  /** The jobs posted and not yet answered, oldest first: the thread answers them in that order. */
  private readonly pending: { resolve: (lines: number) => void; reject: (error: Error) => void }[] = [];
  private exited = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const pending = this.pending.shift();
      if ('error' in reply) pending?.reject(new Error(reply.error));
      else pending?.resolve(reply.lines);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      this.exited = true;
      this.fail(new Error(`the run sorter thread exited with code ${code}`));
    });
  }

  static start(arena: SharedArrayBuffer): RunSorter {
    const data: WorkerData = { role: ROLE, arena };
    // Its work list is its only garbage: a young generation bigger than a few MiB would hold garbage for longer
    // and add to the peak RSS for nothing.
    return new RunSorter(
      new Worker(workerUrl, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 2 } }),
    );
  }

  /** Jobs posted and not yet done. */
  get queued(): number {
    return this.pending.length;
  }

  /** Sorts and writes the run in `slot` after the jobs posted before; resolves with the lines written. */
  sortAndWrite(job: Job): Promise<number> {
    if (this.exited) return Promise.reject(new Error('the run sorter thread has stopped'));
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(job);
    });
  }

  /** Stops the thread, in the middle of a job if need be (its file is in the temp folder, removed after). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    for (const pending of this.pending.splice(0)) pending.reject(error);
  }
}

if (!isMainThread && (workerData as WorkerData | undefined)?.role === ROLE) {
  const { arena } = workerData as WorkerData;
  parentPort!.on('message', ({ slot, run, path, writeBuffer, unique }: Job) => {
    let reply: Reply;
    try {
      reply = { lines: sortAndWriteRun(arena, slot, run, path, writeBuffer, unique) };
    } catch (error) {
      reply = { error: error instanceof Error ? error.message : String(error) };
    }
    parentPort!.postMessage(reply);
  });
}
