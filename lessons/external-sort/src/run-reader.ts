// Reads a sorted run back, line by line, through a fixed buffer: the merge's cursor into one run.
//
// The current line is buffer[start, end), its newline at `end`. advance() is synchronous and moves to the next
// line already in the buffer; only when none is left does the merge await refill(), which slides the partial
// line to the front and reads more. So the merge pays for an await once per buffer, not once per line.
import type { FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;
/** 6 bytes: the widest whole number of bytes that a double holds exactly. */
const KEY_BYTES = 6;

export class RunReader {
  start = 0;
  end = -1;
  /**
   * The current line's first 6 bytes as a big-endian number, zeros past its end: two lines whose keys differ
   * are in the keys' order, and only lines with equal keys need comparing byte by byte.
   */
  key = 0;
  /** buffer[0, filled): a view, so that searching for a newline stops where the read bytes end. */
  private filled: Buffer;
  private position = 0;
  /** Bytes of the run read so far (for progress). */
  bytesRead = 0;

  constructor(
    /** The run's number: the merge breaks ties between equal lines with it. */
    readonly run: number,
    private readonly file: FileHandle,
    public buffer: Buffer,
    private readonly signal?: AbortSignal,
  ) {
    this.filled = buffer.subarray(0, 0);
  }

  /** Moves to the next line in the buffer; false when the buffer holds no further complete line. */
  advance(): boolean {
    const next = this.end + 1;
    const newline = this.filled.indexOf(NEWLINE, next);
    if (newline === -1) return false;
    this.start = next;
    this.end = newline;
    const { buffer } = this;
    let key = 0;
    for (let i = next; i < next + KEY_BYTES; i++) key = key * 256 + (i < newline ? (buffer[i] as number) : 0);
    this.key = key;
    return true;
  }

  /** Reads more of the run and moves to its next line; false when the run is over. */
  async refill(): Promise<boolean> {
    this.signal?.throwIfAborted();
    // Slide the partial line (if any) to the front, then fill the rest of the buffer.
    let used = this.filled.copy(this.buffer, 0, this.end + 1);
    this.end = -1;
    for (;;) {
      if (used === this.buffer.length) this.grow(used);
      const room = this.buffer.length - used;
      const { bytesRead } = await this.file.read(this.buffer, used, room, this.position);
      this.position += bytesRead;
      this.bytesRead += bytesRead;
      used += bytesRead;
      this.filled = this.buffer.subarray(0, used);
      if (this.advance()) return true;
      if (bytesRead === 0) {
        // Runs are written by this program and every line ends with a newline.
        if (used > 0) throw new Error(`run ${this.run} ends without a newline`);
        return false;
      }
    }
  }

  /**
   * A line longer than the whole buffer: double it, beyond the budget. With 16 runs sharing even the smallest
   * budget (1 MiB) that takes a line of more than 60 KiB, so it is a rare exception rather than the rule.
   */
  private grow(used: number): void {
    const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
    this.buffer.copy(bigger, 0, 0, used);
    this.buffer = bigger;
  }
}
