// The contract between a scenario file and the harness (bench/run.ts).
//
// A scenario measures the project and a baseline in the same run, on the same machine, and returns rows.
// The harness turns every row into a ratio that reads the same way for every metric:
//
//   ratio > 1  → the project is better than its baseline
//   ratio < 1  → the project costs something relative to its baseline
//
// For a higher-is-better metric (req/s, ops/s) ratio = project / baseline; for a lower-is-better metric
// (p99 ms, seconds) ratio = baseline / project.
import type { CompareLoadOptions, LoadTestOptions, LoadTestResult } from './load-test.js';
import type { ProcessHandle, SpawnOptions, StartProcessOptions, WaitForHttpOptions } from './process.js';
import type { Side } from './rounds.js';
import type { CompareOpsOptions, CompareOpsResult, TimeOpsOptions } from './time-ops.js';

/** One measured comparison. */
export interface Row {
  /** What was measured, e.g. "GET /hello" or "PUT 4 KiB". */
  case: string;
  /** The unit, e.g. "req/s", "ops/s", "p99 ms", "s". */
  metric: string;
  /** The project's value. */
  project: number;
  /** The baseline's value in the same run; `null` when the scenario has no baseline for this row. */
  baseline: number | null;
  /** `true` for throughput-like metrics, `false` for latency/time-like metrics. */
  higherIsBetter: boolean;
}

/** A row as the harness reports it. `ratio` is `null` when it cannot be computed (no baseline, a zero). */
export interface RatedRow extends Row {
  ratio: number | null;
}

export interface ScenarioContext {
  /** `--smoke`: run every case briefly, only to prove the scenario works. */
  readonly smoke: boolean;
  /** How long each measured case should run: 1 s in smoke mode, 10 s otherwise, or `--duration`. */
  readonly durationSeconds: number;
  /** Absolute path of the repository root. */
  readonly rootDir: string;
  /**
   * `--profile`: the folder the processes the scenario starts write their CPU profiles to (startProcess and the
   * lesson programs do this themselves); undefined otherwise.
   */
  readonly profileDir: string | undefined;
  /** Progress message on stderr (never part of the results). */
  log(message: string): void;
  /** A caveat that belongs with the results (printed under the table and saved in the JSON). */
  warn(message: string): void;
  /** Stop the scenario and report it as skipped (e.g. a tool it compares against is not installed). */
  skip(reason: string): never;
  /** Register a clean-up step; the harness runs them in reverse order on every path (success, throw, Ctrl-C). */
  onCleanup(fn: () => unknown): void;
  /** A fresh temporary directory, removed at clean-up. */
  tempDir(prefix?: string): Promise<string>;
  /** A TCP port that was free a moment ago on 127.0.0.1. */
  freePort(): Promise<number>;
  /** Spawn a TypeScript/JavaScript file with tsx; it is stopped at clean-up. */
  startProcess(options: StartProcessOptions): Promise<ProcessHandle>;
  /** startProcess for a program that is meant to finish: its output, or an error with it unless it exited 0. */
  runProcess(options: SpawnOptions): Promise<string>;
  /** Poll a URL until it answers. */
  waitForHttp(url: string, options?: WaitForHttpOptions): Promise<void>;
  /** autocannon for `durationSeconds` (unless overridden); a run with errors or non-2xx answers is flagged. */
  loadTest(
    options: Omit<LoadTestOptions, 'durationSeconds'> & { durationSeconds?: number },
  ): Promise<LoadTestResult>;
  /**
   * Project and baseline loaded in alternating rounds (ABBA), `durationSeconds` of measured time per side unless
   * overridden; unclean runs are flagged like loadTest's. Prefer this to two loadTest calls.
   */
  compareLoad(
    options: Omit<CompareLoadOptions, 'durationSeconds'> & { durationSeconds?: number },
  ): Promise<Record<Side, LoadTestResult>>;
  /** Operations per second of `fn`, after a warm-up, for `durationSeconds` (unless overridden). */
  timeOps(fn: () => unknown, options?: Partial<TimeOpsOptions>): Promise<number>;
  /**
   * compareLoad for functions: ops/s of project and baseline in alternating rounds, `durationSeconds` per side
   * unless overridden; noisy rounds are flagged. Prefer this to two timeOps calls.
   */
  compareOps(
    options: Omit<CompareOpsOptions, 'durationSeconds'> & { durationSeconds?: number },
  ): Promise<Record<Side, CompareOpsResult>>;
}

export interface Scenario {
  /** Must equal the file name: bench/scenarios/<name>.ts. */
  readonly name: string;
  /** One line: what the project side measures. */
  readonly description: string;
  /** One line: what it is compared with. */
  readonly baseline: string;
  run(ctx: ScenarioContext): Promise<Row[]>;
}

const SCENARIO = Symbol.for('backend-rebase.bench.scenario');

/** The only way to make a scenario: `export default defineScenario({ … })`. */
export function defineScenario(scenario: Scenario): Scenario {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(scenario.name)) {
    throw new Error(`scenario name "${scenario.name}" must be lower-case letters, digits and dashes`);
  }
  return Object.freeze({ ...scenario, [SCENARIO]: true });
}

export function isScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SCENARIO] === true;
}

/** Thrown by `ctx.skip()`; the harness reports "skipped: <reason>" and carries on. */
export class ScenarioSkipped extends Error {
  constructor(readonly reason: string) {
    super(`skipped: ${reason}`);
    this.name = 'ScenarioSkipped';
  }
}

/** ratio > 1 always means "the project is better". */
export function rate(row: Row): RatedRow {
  const { project, baseline } = row;
  let ratio: number | null = null;
  if (
    baseline !== null &&
    Number.isFinite(project) &&
    Number.isFinite(baseline) &&
    project > 0 &&
    baseline > 0
  ) {
    ratio = row.higherIsBetter ? project / baseline : baseline / project;
  }
  return { ...row, ratio };
}
