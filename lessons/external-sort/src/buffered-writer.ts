// Collects lines in memory and writes them to a file in big blocks, while the caller goes on producing lines.
//
// The buffer is split in two halves: when one is full its write starts and lines go to the other, so the disk
// and the CPU work at the same time. Before a half is written, the write of the other one is awaited: there is
// never more than one write in flight and the writer never holds more than its buffer, however slow the disk.
// That is its backpressure. append() is synchronous, so the hot loops pay for an await once per half, not
// once per line.
//
// The sort keeps its write buffer in the same ArrayBuffer as the lines (the arena), and then a line is copied
// inside the arena without a native call or any garbage (copy-bytes.ts). Buffer#copy, on Node 20, allocates a
// view for every partial copy; at millions of lines that is slower and the garbage grows V8's young generation
// by tens of MiB.
import type { FileHandle } from 'node:fs/promises';
import { ArenaCopier } from './copy-bytes.js';

export class BufferedWriter {
  private readonly halves: [Buffer, Buffer];
  private current: Buffer;
  private used = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly memory: ArrayBufferLike;
  private readonly copier: ArenaCopier;

  constructor(
    private readonly file: FileHandle,
    buffer: Buffer,
    private readonly signal?: AbortSignal,
  ) {
    const half = Math.floor(buffer.length / 2);
    this.halves = [buffer.subarray(0, half), buffer.subarray(half, 2 * half)];
    this.current = this.halves[0];
    this.memory = buffer.buffer;
    this.copier = new ArenaCopier(buffer.buffer);
  }

  /** Copies source[start, end); false (and nothing copied) when the half is full: then call flushAndAppend. */
  append(source: Buffer, start: number, end: number): boolean {
    if (this.used + (end - start) > this.current.length) return false;
    if (source.buffer === this.memory) {
      this.copier.copy(this.current.byteOffset + this.used, source.byteOffset + start, end - start);
      this.used += end - start;
    } else {
      this.used += source.copy(this.current, this.used, start, end);
    }
    return true;
  }

  async flushAndAppend(source: Buffer, start: number, end: number): Promise<void> {
    await this.switchHalves();
    if (this.append(source, start, end)) return;
    // A line longer than half the buffer goes straight to the file, after what came before it.
    await this.inFlight;
    await this.writeAll(source.subarray(start, end));
  }

  /** Writes everything appended so far and waits until it is written. */
  async flush(): Promise<void> {
    await this.switchHalves();
    await this.inFlight;
  }

  /** Waits for the write in flight, ignoring its failure (already reported): before closing the file on error. */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }

  private async switchHalves(): Promise<void> {
    await this.inFlight;
    if (this.used === 0) return;
    this.inFlight = this.writeAll(this.current.subarray(0, this.used));
    // Handled here so that a failure does not count as unhandled before the next await reports it.
    this.inFlight.catch(() => undefined);
    this.current = this.current === this.halves[0] ? this.halves[1] : this.halves[0];
    this.used = 0;
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    this.signal?.throwIfAborted();
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.file.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
  }
}
