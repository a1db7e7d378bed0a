// Passes on a schedule: the first right away, each next one `intervalMs` after the previous one ended, so two
// never overlap and the database rests for a whole interval between them, however long a pass takes. A pass
// reports failure in its result rather than rejecting (retention/wolf.ts), so a failed pass is simply followed by
// the next one. When the signal is aborted, no further pass starts; the promise resolves once the running one
// (which gets the same signal, and stops between batches) has returned.
import { setTimeout as sleep } from 'node:timers/promises';

export interface PatrolOptions {
  intervalMs: number;
  signal: AbortSignal;
}

export async function patrol(
  pass: (signal: AbortSignal) => Promise<unknown>,
  { intervalMs, signal }: PatrolOptions,
): Promise<void> {
  while (!signal.aborted) {
    await pass(signal);
    // Rejects (with an AbortError) only when the signal cuts the wait short, which ends the loop.
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}
