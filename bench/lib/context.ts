// The `ctx` a scenario receives. Everything it starts is registered for clean-up, which the harness runs
// (in reverse order) however the scenario ends.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareLoad, loadTest } from './load-test.js';
import { describeExit, freePort, rootDir, startProcess, waitForHttp } from './process.js';
import { spread, type Side } from './rounds.js';
import { ScenarioSkipped, type ScenarioContext } from './scenario.js';
import { compareOps, timeOps } from './time-ops.js';

/** Rounds of one side whose rates differ by more than this factor are reported as noisy. */
const NOISY_SPREAD = 1.25;

export interface ContextOptions {
  scenario: string;
  smoke: boolean;
  durationSeconds: number;
  /** When set, every process the scenario starts writes its CPU profile into this folder as it exits. */
  profileDir?: string;
}

export interface HarnessContext {
  ctx: ScenarioContext;
  warnings: string[];
  /** Runs every registered clean-up step once, newest first; collects (and returns) their errors. */
  cleanup(): Promise<Error[]>;
}

export function createContext(options: ContextOptions): HarnessContext {
  const cleanups: (() => unknown)[] = [];
  let done = false;
  const warnings: string[] = [];
  let profiled = 0;
  const log = (message: string) => process.stderr.write(`  [${options.scenario}] ${message}\n`);
  const warnIfNoisy = (what: string, side: Side, rates: number[], unit: string) => {
    // Smoke runs are short and cold (no warm-up): their spread says nothing about the machine.
    if (options.smoke || spread(rates) <= NOISY_SPREAD) return;
    const list = rates.map((rate) => Math.round(rate).toLocaleString('en-US')).join(', ');
    ctx.warn(`noisy measurement: ${what}, ${side} rounds ranged ${list} ${unit}`);
  };

  const ctx: ScenarioContext = {
    smoke: options.smoke,
    durationSeconds: options.durationSeconds,
    rootDir,
    profileDir: options.profileDir,
    log,
    warn(message) {
      warnings.push(message);
      log(`warning: ${message}`);
    },
    skip(reason) {
      throw new ScenarioSkipped(reason);
    },
    onCleanup(fn) {
      if (done) {
        // The harness is already past clean-up (e.g. Ctrl-C while this was starting): clean up at once.
        void Promise.resolve()
          .then(fn)
          .catch(() => undefined);
      } else {
        cleanups.push(fn);
      }
    },
    async tempDir(prefix = 'bench-') {
      const dir = await mkdtemp(join(tmpdir(), `${options.scenario}-${prefix}`));
      ctx.onCleanup(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    freePort,
    async startProcess(processOptions) {
      const { waitFor, waitTimeoutMs, ...spawnOptions } = processOptions;
      const cpuProfileDir =
        options.profileDir && join(options.profileDir, `${spawnOptions.name}.${++profiled}`);
      if (cpuProfileDir) await mkdir(cpuProfileDir, { recursive: true }); // node does not make it
      const handle = await startProcess(cpuProfileDir ? { ...spawnOptions, cpuProfileDir } : spawnOptions);
      ctx.onCleanup(() => handle.stop());
      if (waitFor !== undefined) {
        await waitForHttp(waitFor, {
          process: handle,
          ...(waitTimeoutMs === undefined ? {} : { timeoutMs: waitTimeoutMs }),
        });
      }
      return handle;
    },
    async runProcess(processOptions) {
      const handle = await ctx.startProcess(processOptions);
      const exit = await handle.exited;
      if (exit.code !== 0) {
        throw new Error(`${handle.name} ${describeExit(exit)}. Its output:\n${handle.output() || '(none)'}`);
      }
      return handle.output();
    },
    waitForHttp,
    async loadTest(loadOptions) {
      const result = await loadTest({
        ...loadOptions,
        durationSeconds: loadOptions.durationSeconds ?? options.durationSeconds,
      });
      if (!result.clean && result.problem) ctx.warn(result.problem);
      return result;
    },
    async compareLoad(compareOptions) {
      const result = await compareLoad({
        ...compareOptions,
        durationSeconds: compareOptions.durationSeconds ?? options.durationSeconds,
      });
      for (const side of ['baseline', 'project'] as const) {
        const measured = result[side];
        if (!measured.clean && measured.problem) ctx.warn(measured.problem);
        const what =
          compareOptions.label ?? `${compareOptions[side].method ?? 'GET'} ${compareOptions[side].url}`;
        warnIfNoisy(what, side, measured.roundsRequestsPerSecond, 'req/s');
      }
      return result;
    },
    timeOps(fn, timeOptions) {
      return timeOps(fn, {
        ...timeOptions,
        durationSeconds: timeOptions?.durationSeconds ?? options.durationSeconds,
      });
    },
    async compareOps(compareOptions) {
      const result = await compareOps({
        ...compareOptions,
        durationSeconds: compareOptions.durationSeconds ?? options.durationSeconds,
      });
      for (const side of ['baseline', 'project'] as const) {
        warnIfNoisy(compareOptions.label ?? 'ops', side, result[side].roundsOpsPerSecond, 'ops/s');
      }
      return result;
    },
  };

  return {
    ctx,
    warnings,
    async cleanup() {
      if (done) return [];
      done = true;
      const errors: Error[] = [];
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (error) {
          errors.push(error instanceof Error ? error : new Error(String(error)));
        }
      }
      return errors;
    },
  };
}
