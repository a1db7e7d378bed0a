// Micro-benchmark helper: operations per second of a function.
//
// The function is called in batches whose size is calibrated so that one batch takes about a millisecond;
// the clock (process.hrtime.bigint) is read once per batch, so its own cost does not dominate nanosecond-scale
// operations. A warm-up (unmeasured) lets V8 optimise the code first. Every ~50 ms the loop yields to the event
// loop, so Ctrl-C and timers still work during a long measurement.
//
// Return a value from `fn` (e.g. the looked-up entry): it is kept, so the call cannot be optimised away.
// If `fn` returns a promise, every call is awaited in turn (ops/s of sequential async operations).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { alternate, type Side } from './rounds.js';

export interface TimeOpsOptions {
  durationSeconds: number;
  /** Unmeasured run first (default: a fifth of the duration, at most 2 s). */
  warmupSeconds?: number;
}

let sink: unknown;
const NEVER = Symbol('never');

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const NS_PER_S = 1_000_000_000n;
const TARGET_BATCH_NS = 1_000_000n; // ~1 ms per batch
const YIELD_EVERY_NS = 50_000_000n;
const MAX_BATCH = 1 << 24;

async function runFor(fn: () => unknown, seconds: number, batch: number, isAsync: boolean) {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let lastYield = start;
  let ops = 0;
  let now = start;
  while (now - start < budget) {
    if (isAsync) {
      for (let i = 0; i < batch; i++) sink = await fn();
    } else {
      for (let i = 0; i < batch; i++) sink = fn();
    }
    ops += batch;
    now = process.hrtime.bigint();
    if (now - lastYield > YIELD_EVERY_NS) {
      await yieldToLoop();
      lastYield = now = process.hrtime.bigint();
    }
  }
  return { ops, ns: now - start };
}

/** Calibrate the batch size: double it until one batch takes ~1 ms. */
async function calibrate(fn: () => unknown, isAsync: boolean): Promise<number> {
  let batch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    if (isAsync) {
      for (let i = 0; i < batch; i++) sink = await fn();
    } else {
      for (let i = 0; i < batch; i++) sink = fn();
    }
    if (process.hrtime.bigint() - start >= TARGET_BATCH_NS || batch >= MAX_BATCH) return batch;
    batch *= 2;
  }
}

export async function timeOps(fn: () => unknown, options: TimeOpsOptions): Promise<number> {
  if (!(options.durationSeconds > 0)) throw new Error('timeOps: durationSeconds must be > 0');
  const first = fn();
  const isAsync = isThenable(first);
  sink = isAsync ? await first : first;
  const warmup = options.warmupSeconds ?? Math.min(2, options.durationSeconds / 5);
  let batch = await calibrate(fn, isAsync);
  if (warmup > 0) {
    await runFor(fn, warmup, batch, isAsync);
    batch = await calibrate(fn, isAsync); // the optimised code is faster: re-calibrate
  }
  const { ops, ns } = await runFor(fn, options.durationSeconds, batch, isAsync);
  if (sink === NEVER) throw new Error('unreachable');
  return (ops * Number(NS_PER_S)) / Number(ns);
}

export interface CompareOpsOptions {
  /** Names the case in warnings (e.g. "get, string keys"). */
  label?: string;
  /** The project's operation; build its data before, so only the operation is timed. */
  project: () => unknown;
  /** The baseline's operation, measured in the same run. */
  baseline: () => unknown;
  /** Measured seconds per side, split over the rounds. */
  durationSeconds: number;
  /** Alternating rounds (default 4), see alternate(). */
  rounds?: number;
  /** Unmeasured warm-up per side before its first round (default 0). */
  warmupSeconds?: number;
}

export interface CompareOpsResult {
  /** Mean of the rounds (they last equally long). */
  opsPerSecond: number;
  roundsOpsPerSecond: number[];
}

/** ops/s of two functions, timed in alternating rounds like compareLoad's HTTP targets. */
export async function compareOps(options: CompareOpsOptions): Promise<Record<Side, CompareOpsResult>> {
  const rounds = Math.max(1, Math.floor(options.rounds ?? 4));
  if (!(options.durationSeconds > 0)) throw new Error('compareOps: durationSeconds must be > 0');
  const durationSeconds = options.durationSeconds / rounds;
  const rates = await alternate(rounds, (side, round) =>
    // Later rounds need no warm-up: timeOps re-calibrates its batch size every round anyway.
    timeOps(options[side], {
      durationSeconds,
      warmupSeconds: round === 0 ? (options.warmupSeconds ?? 0) : 0,
    }),
  );
  const summary = (values: number[]): CompareOpsResult => ({
    opsPerSecond: values.reduce((sum, value) => sum + value, 0) / values.length,
    roundsOpsPerSecond: values,
  });
  return { project: summary(rates.project), baseline: summary(rates.baseline) };
}
