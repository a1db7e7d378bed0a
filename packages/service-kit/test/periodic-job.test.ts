// The kit's periodic jobs under fake timers: the test decides when time passes and when a run finishes, so
// "never overlaps" and "waits for the run in progress" are shown, not hoped for.
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addPeriodicJob, createService, type PeriodicJob, type Service } from '../src/index.js';

const INTERVAL = 1_000;

/** A run the test ends: `runs` counts starts, `finish()` settles the oldest unfinished one. */
function controlledJob() {
  const pending: Array<{ resolve: () => void; reject: (error: Error) => void; signal: AbortSignal }> = [];
  let runs = 0;
  const run = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      runs += 1;
      pending.push({ resolve, reject, signal });
    });
  return {
    run,
    runs: () => runs,
    finish: () => pending.shift()?.resolve(),
    fail: (error: Error) => pending.shift()?.reject(error),
    signalOfRunning: () => pending[0]?.signal,
  };
}

let app: Service;
let lines: () => Record<string, unknown>[];

async function serviceWith(job: Omit<PeriodicJob, 'name'> & { name?: string }): Promise<Service> {
  const captured = captureLogger();
  lines = captured.lines;
  app = await createService({ name: 'jobs', logger: captured.logger });
  addPeriodicJob(app, { name: 'sweep', ...job });
  return app;
}

const listen = () => app.listen({ port: 0, host: '127.0.0.1' });

async function runsMetric(outcome: string): Promise<number> {
  const text = await app.metrics.registry.metrics();
  const match = new RegExp(`periodic_job_runs_total\\{job="sweep",outcome="${outcome}"\\} (\\d+)`).exec(text);
  return match ? Number(match[1]) : 0;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});

afterEach(async () => {
  vi.useRealTimers();
  await app.close();
});

describe('addPeriodicJob', () => {
  it('runs nothing in an app that never listens', async () => {
    const job = controlledJob();
    await (await serviceWith({ intervalMs: INTERVAL, runAtStart: true, run: job.run })).ready();

    await vi.advanceTimersByTimeAsync(10 * INTERVAL);

    expect(job.runs()).toBe(0);
  });

  it('runs at listen when asked to, else one interval after', async () => {
    const atStart = controlledJob();
    await serviceWith({ intervalMs: INTERVAL, runAtStart: true, run: atStart.run });
    await listen();
    await vi.advanceTimersByTimeAsync(0);
    expect(atStart.runs()).toBe(1);
    atStart.finish();
    await app.close();

    const later = controlledJob();
    await serviceWith({ intervalMs: INTERVAL, run: later.run });
    await listen();
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(later.runs()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(later.runs()).toBe(1);
    later.finish();
  });

  it('never starts a run while the one before is still going', async () => {
    const job = controlledJob();
    await serviceWith({ intervalMs: INTERVAL, runAtStart: true, run: job.run });
    await listen();
    await vi.advanceTimersByTimeAsync(0);

    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(job.runs()).toBe(1);

    job.finish();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(job.runs()).toBe(2);
    job.finish();
  });

  it('end-to-start rests a whole interval after each run; start-to-start keeps the rhythm', async () => {
    const rests = controlledJob();
    await serviceWith({ intervalMs: INTERVAL, runAtStart: true, run: rests.run });
    await listen();
    await vi.advanceTimersByTimeAsync(300);
    rests.finish(); // the run took 300 ms
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(rests.runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(rests.runs()).toBe(2);
    rests.finish();
    await app.close();

    const steady = controlledJob();
    await serviceWith({ intervalMs: INTERVAL, runAtStart: true, spacing: 'start-to-start', run: steady.run });
    await listen();
    await vi.advanceTimersByTimeAsync(300);
    steady.finish(); // took 300 ms: the next one starts 1000 ms after this one started
    await vi.advanceTimersByTimeAsync(INTERVAL - 300 - 1);
    expect(steady.runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(steady.runs()).toBe(2);
    await vi.advanceTimersByTimeAsync(INTERVAL + 500);
    steady.finish(); // took longer than the interval: the next one starts at once
    await vi.advanceTimersByTimeAsync(0);
    expect(steady.runs()).toBe(3);
    steady.finish();
  });

  it('logs and counts a failed run, and runs again', async () => {
    const job = controlledJob();
    await serviceWith({ intervalMs: INTERVAL, runAtStart: true, run: job.run });
    await listen();
    await vi.advanceTimersByTimeAsync(0);

    job.fail(new Error('disk on fire'));
    await vi.advanceTimersByTimeAsync(INTERVAL);

    expect(lines()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'periodic job failed',
        job: 'sweep',
        err: expect.objectContaining({ message: 'disk on fire' }) as unknown,
      }),
    );
    expect(await runsMetric('failed')).toBe(1);
    expect(job.runs()).toBe(2);
    job.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(await runsMetric('ok')).toBe(1);
  });

  it('on close, aborts the running one, waits for it, and starts no other', async () => {
    const job = controlledJob();
    await serviceWith({ intervalMs: INTERVAL, runAtStart: true, run: job.run });
    await listen();
    await vi.advanceTimersByTimeAsync(0);
    const signal = job.signalOfRunning();

    let closed = false;
    const closing = app.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(signal?.aborted).toBe(true);
    expect(closed).toBe(false);

    job.fail(new Error('stopped between two batches'));
    await closing;
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(job.runs()).toBe(1);
    expect(await runsMetric('cancelled')).toBe(1);
    expect(lines().filter((line) => line.message === 'periodic job failed')).toEqual([]);
  });
});
