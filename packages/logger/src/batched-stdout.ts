// Log lines for stdout, written in batches: the lines logged within FLUSH_AFTER_MS leave in one write instead of
// one write (one system call, and one wake-up of whatever reads the pipe) each, which under load was a large share
// of a server's time and of its log reader's. A batch leaves at once when it reaches FLUSH_AT_BYTES.
// Loggers hand it each line's text (writeLine), past the stream machinery; it is a Writable too, for winston.
// Nothing is lost on the way out. Each batch is one blocking write, as pino's default destination writes
// synchronously: a pipe the reader drains slowly holds the process up for a moment instead of keeping part of a
// batch in a queue that an exiting process never gets to write (process.exit() right after logging lost the end
// of the output that way). `written()` resolves once every line so far has left the process, which closeLogger
// awaits, and what is still pending when the process exits is written in the 'exit' event. A process killed with
// SIGKILL can lose at most the lines of its last FLUSH_AFTER_MS.
import { Writable } from 'node:stream';

const FLUSH_AT_BYTES = 64 * 1024;
const FLUSH_AFTER_MS = 10;

class BatchedStdout extends Writable {
  private pendingLines: string[] = [];
  private pendingBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  /** writes handed to the destination whose callback has not come yet */
  private inFlight = 0;
  private whenIdle: (() => void)[] = [];
  private readonly flushNow = (): void => this.flush();
  private readonly onWritten = (): void => {
    this.inFlight -= 1;
    if (this.inFlight === 0) for (const resolve of this.whenIdle.splice(0)) resolve();
  };

  constructor(private readonly destination: NodeJS.WriteStream) {
    super({ decodeStrings: false });
    // An exiting process runs no event loop that could finish a write the pipe took only part of: every write
    // is made blocking, so none is ever left half done (a file already is; a TTY or pipe has this handle).
    const handle = (destination as unknown as { _handle?: { setBlocking?: (on: boolean) => unknown } })
      ._handle;
    handle?.setBlocking?.(true);
    process.on('exit', this.flushNow);
  }

  /** Queues one line's text (newline included) for the next batch. */
  writeLine(text: string): void {
    this.pendingLines.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_AT_BYTES) this.flush();
    // Unref'd: a process with nothing else to do ends, and its 'exit' writes what is pending.
    else this.flushTimer ??= setTimeout(this.flushNow, FLUSH_AFTER_MS).unref();
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeLine(String(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    callback();
  }

  /** Writes everything pending now (to the destination, or its queue when it has no room). */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingLines.length === 0) return;
    const text = this.pendingLines.length === 1 ? this.pendingLines[0]! : this.pendingLines.join('');
    this.pendingLines = [];
    this.pendingBytes = 0;
    this.inFlight += 1;
    this.destination.write(text, this.onWritten);
  }

  /** Flushes, and resolves once every line so far has been written out of the process. */
  written(): Promise<void> {
    this.flush();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenIdle.push(resolve));
  }
}

let stdout: BatchedStdout | undefined;

/** The one batching stream in front of process.stdout that every logger of this process shares. */
export function batchedStdout(): BatchedStdout {
  stdout ??= new BatchedStdout(process.stdout);
  return stdout;
}

export function isBatchedStdout(stream: unknown): stream is BatchedStdout {
  return stream instanceof BatchedStdout;
}
