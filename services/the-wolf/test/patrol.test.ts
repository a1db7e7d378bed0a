// The schedule, with a stand-in for the pass: the first pass at once, the next ones an interval after the
// previous ended, never two at a time, and an abort that ends the schedule only once the running pass returned.
import { describe, expect, it } from 'vitest';
import { patrol } from '../src/retention/patrol.js';

/** A pass that stays running until the test lets it return, recording what it was called with. */
function controllablePass() {
  const calls: { signal: AbortSignal; finish: () => void }[] = [];
  let running = 0;
  let overlapped = false;
  let notify: (() => void) | undefined;
  const pass = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      running += 1;
      overlapped ||= running > 1;
      calls.push({
        signal,
        finish: () => {
          running -= 1;
          resolve();
        },
      });
      notify?.();
    });
  /** Resolves once the n-th call (1-based) has started. */
  const started = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (calls.length >= n) resolve();
      };
      notify = check;
      check();
    });
  return { pass, calls, started, overlapped: () => overlapped };
}

describe('patrol', () => {
  it('runs the first pass at once and each next one after the previous has ended', async () => {
    const { pass, calls, started, overlapped } = controllablePass();
    const stop = new AbortController();
    const done = patrol(pass, { intervalMs: 5, signal: stop.signal });

    expect(calls).toHaveLength(1); // synchronously: no wait before the first pass
    for (let n = 1; n <= 3; n++) {
      await started(n);
      expect(calls).toHaveLength(n); // the next pass waits for this one, however long the interval has been
      calls[n - 1]?.finish();
    }
    await started(4);
    stop.abort();
    calls[3]?.finish();
    await done;
    expect(calls).toHaveLength(4);
    expect(overlapped()).toBe(false);
  });

  it('hands the pass the signal, and ends only after the running pass has returned', async () => {
    const { pass, calls } = controllablePass();
    const stop = new AbortController();
    let ended = false;
    const done = patrol(pass, { intervalMs: 5, signal: stop.signal }).then(() => (ended = true));

    stop.abort();
    expect(calls[0]?.signal.aborted).toBe(true);
    await Promise.resolve();
    expect(ended).toBe(false);
    calls[0]?.finish();
    await done;
    expect(calls).toHaveLength(1);
  });

  it('ends at once when aborted while waiting for the next pass', async () => {
    const stop = new AbortController();
    let passes = 0;
    const done = patrol(
      () => {
        passes += 1;
        stop.abort();
        return Promise.resolve();
      },
      { intervalMs: 3_600_000, signal: stop.signal },
    );
    await done; // would time out if the hour-long wait were not cut short
    expect(passes).toBe(1);
  });

  it('keeps going after passes that report failure', async () => {
    const stop = new AbortController();
    let passes = 0;
    await patrol(
      () => {
        passes += 1;
        if (passes === 3) stop.abort();
        return Promise.resolve({ status: 'failed' });
      },
      { intervalMs: 1, signal: stop.signal },
    );
    expect(passes).toBe(3);
  });
});
