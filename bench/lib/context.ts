// The `ctx` a scenario receives. Everything it starts is registered for clean-up, which the harness runs
// (in reverse order) however the scenario ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareLoad, loadTest, spread } from './load-test.js';
import { freePort, rootDir, startProcess, waitForHttp } from './process.js';
import { ScenarioSkipped, type ScenarioContext } from './scenario.js';
import { timeOps } from './time-ops.js';

/** Rounds of one side whose req/s differ by more than this factor are reported as noisy. */
const NOISY_SPREAD = 1.25;

export interface ContextOptions {
  scenario: string;
  smoke: boolean;
  durationSeconds: number;
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
  const log = (message: string) => process.stderr.write(`  [${options.scenario}] ${message}\n`);

  const ctx: ScenarioContext = {
    smoke: options.smoke,
    durationSeconds: options.durationSeconds,
    rootDir,
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
      const handle = await startProcess(spawnOptions);
      ctx.onCleanup(() => handle.stop());
      if (waitFor !== undefined) {
        await waitForHttp(waitFor, {
          process: handle,
          ...(waitTimeoutMs === undefined ? {} : { timeoutMs: waitTimeoutMs }),
        });
      }
      return handle;
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
      for (const [name, side] of [
        ['baseline', result.baseline],
        ['project', result.project],
      ] as const) {
        if (!side.clean && side.problem) ctx.warn(side.problem);
        // Smoke runs are short and cold (no warm-up): their spread says nothing about the machine.
        if (!options.smoke && spread(side) > NOISY_SPREAD) {
          const rates = side.roundsRequestsPerSecond.map((rate) => Math.round(rate)).join(', ');
          const what =
            compareOptions.label ?? `${compareOptions[name].method ?? 'GET'} ${compareOptions[name].url}`;
          ctx.warn(`noisy measurement: ${what}, ${name} rounds ranged ${rates} req/s`);
        }
      }
      return result;
    },
    timeOps(fn, timeOptions) {
      return timeOps(fn, {
        ...timeOptions,
        durationSeconds: timeOptions?.durationSeconds ?? options.durationSeconds,
      });
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
