// Background work that repeats — a sweep, a health check, a refresh, a retention pass — run the same way in every
// service. A job:
// - starts when the app listens (an app only built for inject() in a test runs none);
// - never overlaps itself: the next run is scheduled only once the previous one has settled. `end-to-start`
//   (the default) rests a whole interval after each run; `start-to-start` keeps a steady rhythm, and a run that
//   takes longer than the interval is followed by the next one at once;
// - stops on close: preClose aborts the run's signal and waits for the run in progress, before in-flight
//   requests are awaited and before the owner ends the pools the run may be using;
// - logs a failure with its error and counts every run in periodic_job_runs_total{job,outcome}, outcome ok,
//   failed, or cancelled (the run was stopped by the close).
import { Counter } from 'prom-client';
import type { Service } from './service.js';

export interface PeriodicJob {
  /** names the job in logs and metrics: tombstone-sweep, health-check, … */
  name: string;
  intervalMs: number;
  /** run as soon as the app listens; default false: the first run comes one interval after */
  runAtStart?: boolean;
  spacing?: 'start-to-start' | 'end-to-start';
  /** the signal aborts when the app closes: stop at the next safe point */
  run: (signal: AbortSignal) => Promise<void>;
}

const runCounters = new WeakMap<Service, Counter<'job' | 'outcome'>>();

function runCounter(app: Service): Counter<'job' | 'outcome'> {
  let counter = runCounters.get(app);
  if (counter === undefined) {
    counter = new Counter({
      name: 'periodic_job_runs_total',
      help: 'Runs of background jobs, by job and outcome (ok, failed, cancelled)',
      labelNames: ['job', 'outcome'],
      registers: [app.metrics.registry],
    });
    runCounters.set(app, counter);
  }
  return counter;
}

export function addPeriodicJob(app: Service, job: PeriodicJob): void {
  const { name, intervalMs, runAtStart = false, spacing = 'end-to-start' } = job;
  const runs = runCounter(app);
  const outcomes = {
    ok: runs.labels({ job: name, outcome: 'ok' }),
    failed: runs.labels({ job: name, outcome: 'failed' }),
    cancelled: runs.labels({ job: name, outcome: 'cancelled' }),
  };
  const stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const runOnce = async () => {
    try {
      await job.run(stopped.signal);
      outcomes.ok.inc();
    } catch (error) {
      if (stopped.signal.aborted) {
        outcomes.cancelled.inc();
        return;
      }
      outcomes.failed.inc();
      app.logger.error('periodic job failed', { job: name, err: error });
    }
  };

  const schedule = (delayMs: number) => {
    if (stopped.signal.aborted) return;
    timer = setTimeout(tick, delayMs);
    timer.unref();
  };

  function tick() {
    const started = performance.now();
    running = runOnce().finally(() => {
      running = undefined;
      const elapsed = performance.now() - started;
      schedule(spacing === 'start-to-start' ? Math.max(0, intervalMs - elapsed) : intervalMs);
    });
  }

  app.addHook('onListen', () => {
    // A second listen (several addresses) must not start a second loop.
    if (timer === undefined && running === undefined) schedule(runAtStart ? 0 : intervalMs);
  });
  app.addHook('preClose', async () => {
    stopped.abort();
    clearTimeout(timer);
    await running;
  });
}
