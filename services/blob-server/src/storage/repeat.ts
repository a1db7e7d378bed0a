// Runs a task again and again, `intervalMs` after each run has finished (not every `intervalMs` whatever is
// running, as setInterval would): a run that takes longer than the interval delays the next one instead of
// overlapping it. The timer does not keep the process alive.
export interface RepeatTimers {
  setTimeout(callback: () => void, ms: number): { unref?(): unknown };
  clearTimeout(timer: unknown): void;
}

/** Starts repeating `task` (first run after `intervalMs`); the returned function stops it. */
export function repeatAfterEach(
  intervalMs: number,
  task: () => Promise<void>,
  timers: RepeatTimers = globalThis,
): () => void {
  let stopped = false;
  let timer: unknown;
  const schedule = () => {
    if (stopped) return;
    const handle = timers.setTimeout(() => {
      void task().then(schedule, schedule);
    }, intervalMs);
    handle.unref?.();
    timer = handle;
  };
  schedule();
  return () => {
    stopped = true;
    timers.clearTimeout(timer);
  };
}
