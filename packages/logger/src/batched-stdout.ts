// Log lines for stdout, written in batches: the lines logged during one turn of the event loop leave in one
// write instead of one write (one system call) each, which under load is a large share of a server's time.
// Nothing is lost on the way out: what is still pending when the process exits is written synchronously in
// the 'exit' event (stdout to a file, pipe or terminal is synchronous there), and closeLogger flushes too.
// A process killed with SIGKILL can lose at most the lines of its last turn of the event loop.
import { Writable } from 'node:stream';

const FLUSH_AT_BYTES = 64 * 1024;

class BatchedStdout extends Writable {
  private pendingLines: string[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  constructor(private readonly destination: NodeJS.WriteStream) {
    super({ decodeStrings: false });
    process.on('exit', () => this.flush());
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = String(chunk);
    this.pendingLines.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_AT_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    callback();
  }

  /** Writes everything pending now; returns the destination once it is written or queued. */
  flush(): NodeJS.WriteStream {
    this.flushScheduled = false;
    if (this.pendingLines.length > 0) {
      const text = this.pendingLines.join('');
      this.pendingLines = [];
      this.pendingBytes = 0;
      this.destination.write(text);
    }
    return this.destination;
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
