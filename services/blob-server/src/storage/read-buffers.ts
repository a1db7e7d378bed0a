// Buffers for reads of small bodies, carved from shared slabs instead of one allocation each: a GET of a small
// blob costs a slice of a slab, not an ArrayBuffer of its own. A slice is never handed out twice (the cursor only
// moves forward and a full slab is replaced, never rewound), so a body still waiting in a socket's queue can
// never be overwritten by a later read; a slab is freed by the garbage collector once its last slice is.
const SLAB_BYTES = 512 * 1024;
/** Larger reads get a buffer of their own: a few of them would use up a slab. */
const LARGEST_SLICE = SLAB_BYTES / 8;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let used = 0;

/** An uninitialised buffer of exactly `length` bytes, for the caller to fill. */
export function readBuffer(length: number): Buffer {
  if (length > LARGEST_SLICE) return Buffer.allocUnsafeSlow(length);
  if (used + length > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const slice = slab.subarray(used, used + length);
  // 8-byte alignment, as Node's own pool keeps, so typed-array views of a slice stay aligned.
  used = (used + length + 7) & ~7;
  return slice;
}
