// The benchmark harness: `pnpm bench [scenario …] [--smoke] [--list] [--duration <seconds>] [--profile]`.
//
// Runs bench/scenarios/<name>.ts (all of them when none is named), prints each scenario's markdown table and
// writes bench/results/<name>.json and .md (<name>.smoke.json in smoke mode, which is git-ignored, so a smoke run
// never overwrites real results). With --profile, every process a scenario starts writes a CPU profile, drawn as
// a flame graph under bench/results/profiles/<name>/; the profiler slows what it watches, so such a run's numbers
// are printed but not written as results. Exit codes: 0 all ran or were skipped, 1 a scenario failed, 2 bad usage.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createContext, type HarnessContext } from './lib/context.js';
import { rootDir } from './lib/process.js';
import { writeProfileReport } from './lib/profiles.js';
import {
  machineInfo,
  markdownTable,
  RATIO_MEANING,
  writeResults,
  type ScenarioResult,
} from './lib/report.js';
import { isScenario, rate, ScenarioSkipped, type Row, type Scenario } from './lib/scenario.js';

const USAGE = `usage: pnpm bench [scenario …] [--smoke] [--list] [--duration <seconds>] [--profile]

  scenario          names from bench/scenarios/ (default: every scenario)
  --smoke           about 1 s per measurement, two scenarios at a time,
                    results to bench/results/<scenario>.smoke.json
  --list            print the scenarios and exit
  --duration <s>    seconds per measurement (default 10, or 1 with --smoke)
  --profile         CPU-profile the processes the scenario starts: flame graphs and
                    their biggest costs in bench/results/profiles/<scenario>/
                    (the numbers are printed, not written as results)
  --help            this text`;

const SMOKE_SECONDS = 1;
const DEFAULT_SECONDS = 10;
/**
 * Scenarios run at once with --smoke. A smoke run only checks that each scenario still runs, and most of its
 * time is processes starting and loads of a fixed length, which two scenarios can share the machine for; a real
 * run takes them one at a time, so that no measurement shares the machine with another.
 */
const SMOKE_PARALLEL = 2;
const scenariosDir = join(rootDir, 'bench', 'scenarios');

class UsageError extends Error {}

function parseCommandLine() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        smoke: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        duration: { type: 'string' },
        profile: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  let durationSeconds = values.smoke ? SMOKE_SECONDS : DEFAULT_SECONDS;
  if (values.duration !== undefined) {
    durationSeconds = Number(values.duration);
    if (!Number.isFinite(durationSeconds) || durationSeconds <= 0 || durationSeconds > 3600) {
      throw new UsageError(
        `--duration expects seconds, more than 0 and at most 3600, got "${values.duration}"`,
      );
    }
  }
  if (values.profile && values.smoke) throw new UsageError('--profile and --smoke do not go together');
  return {
    names: positionals,
    smoke: values.smoke,
    list: values.list,
    help: values.help,
    profile: values.profile,
    durationSeconds,
  };
}

async function knownScenarios(): Promise<string[]> {
  const files = await readdir(scenariosDir).catch(() => [] as string[]);
  return files
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

async function loadScenario(name: string): Promise<Scenario> {
  const file = join(scenariosDir, `${name}.ts`);
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  const scenario = module.default;
  if (!isScenario(scenario)) {
    throw new Error(`${relative(rootDir, file)} must \`export default defineScenario({ … })\``);
  }
  if (scenario.name !== name) {
    throw new Error(
      `${relative(rootDir, file)} defines a scenario named "${scenario.name}"; it must be "${name}"`,
    );
  }
  return scenario;
}

function checkRows(rows: unknown): Row[] {
  if (!Array.isArray(rows) || rows.length === 0) throw new Error('run() must return at least one row');
  return rows.map((value: unknown, i) => {
    const row = value as Partial<Row> | null;
    const where = `row ${i + 1}`;
    if (typeof row?.case !== 'string' || row.case === '')
      throw new Error(`${where}: "case" must be a non-empty string`);
    if (typeof row.metric !== 'string' || row.metric === '')
      throw new Error(`${where}: "metric" must be a non-empty string`);
    if (typeof row.project !== 'number' || Number.isNaN(row.project))
      throw new Error(`${where}: "project" must be a number`);
    if (row.baseline !== null && (typeof row.baseline !== 'number' || Number.isNaN(row.baseline))) {
      throw new Error(`${where}: "baseline" must be a number or null`);
    }
    if (typeof row.higherIsBetter !== 'boolean')
      throw new Error(`${where}: "higherIsBetter" must be a boolean`);
    return {
      case: row.case,
      metric: row.metric,
      project: row.project,
      baseline: row.baseline,
      higherIsBetter: row.higherIsBetter,
    };
  });
}

type Outcome = { name: string; status: 'ok' | 'skipped' | 'failed'; detail?: string };

/** The scenarios running now (more than one only with --smoke). */
const running = new Set<HarnessContext>();
let interrupted = false;

function onSignal(signal: NodeJS.Signals) {
  if (interrupted) process.exit(130); // second Ctrl-C: give up on clean-up
  interrupted = true;
  process.stderr.write(`\n${signal}: stopping what the scenarios started…\n`);
  void Promise.all([...running].map((harness) => harness.cleanup())).finally(() => process.exit(130));
}

async function runScenario(
  name: string,
  smoke: boolean,
  durationSeconds: number,
  profile: boolean,
): Promise<Outcome> {
  const started = process.hrtime.bigint();
  let scenario: Scenario;
  try {
    scenario = await loadScenario(name);
  } catch (error) {
    return {
      name,
      status: 'failed',
      detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
  process.stderr.write(`\n▶ ${name}: ${scenario.description}${smoke ? ' (smoke)' : ''}\n`);
  const profileDir = profile ? join(rootDir, 'bench', 'results', 'profiles', name) : undefined;
  if (profileDir) {
    await rm(profileDir, { recursive: true, force: true });
    await mkdir(profileDir, { recursive: true });
  }
  const harness = createContext({ scenario: name, smoke, durationSeconds, profileDir });
  running.add(harness);
  let outcome: Outcome;
  let rows: Row[] | undefined;
  try {
    rows = checkRows(await scenario.run(harness.ctx));
    outcome = { name, status: 'ok' };
  } catch (error) {
    outcome =
      error instanceof ScenarioSkipped
        ? { name, status: 'skipped', detail: error.reason }
        : {
            name,
            status: 'failed',
            detail: error instanceof Error ? (error.stack ?? error.message) : String(error),
          };
  }
  // Every path reaches this point (the catch above takes everything): clean up what the scenario started.
  const cleanupErrors = await harness.cleanup();
  running.delete(harness);
  if (cleanupErrors.length > 0) {
    const detail = `clean-up failed: ${cleanupErrors.map((error) => error.message).join('; ')}`;
    process.stderr.write(`  [${name}] ${detail}\n`);
    // An earlier failure is the more useful message; otherwise the clean-up error fails the scenario.
    if (outcome.status !== 'failed') outcome = { name, status: 'failed', detail };
  }
  if (outcome.status !== 'ok' || rows === undefined) return outcome;

  const result: ScenarioResult = {
    scenario: name,
    description: scenario.description,
    baseline: scenario.baseline,
    smoke,
    durationSeconds,
    elapsedSeconds: Math.round(Number(process.hrtime.bigint() - started) / 1e7) / 100,
    machine: machineInfo(),
    ratioMeaning: RATIO_MEANING,
    rows: rows.map(rate),
    warnings: harness.warnings,
  };
  process.stdout.write(`\n### ${name}${smoke ? ' (smoke)' : ''}\n\n${markdownTable(result.rows)}\n\n`);
  process.stdout.write(
    `baseline: ${scenario.baseline}\nratio > 1 means the project is better than its baseline.\n`,
  );
  for (const warning of harness.warnings) process.stdout.write(`warning: ${warning}\n`);
  // The processes have exited (clean-up stopped them), so their profiles are complete.
  const written = profileDir
    ? await writeProfileReport(profileDir, name, rootDir)
    : await writeResults(rootDir, result, scenario);
  process.stdout.write(`written: ${written.map((path) => relative(rootDir, path)).join(', ')}\n`);
  return outcome;
}

async function main(): Promise<number> {
  const args = parseCommandLine();
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const known = await knownScenarios();
  if (args.list) {
    for (const name of known) {
      try {
        const scenario = await loadScenario(name);
        process.stdout.write(`${name}\n    ${scenario.description}\n    baseline: ${scenario.baseline}\n`);
      } catch (error) {
        process.stdout.write(
          `${name}\n    (cannot load: ${error instanceof Error ? error.message : String(error)})\n`,
        );
      }
    }
    return 0;
  }
  const unknown = args.names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown scenario${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}\n` +
        `known scenarios: ${known.length > 0 ? known.join(', ') : '(none in bench/scenarios/)'}`,
    );
  }
  const names = args.names.length > 0 ? [...new Set(args.names)] : known;

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // In the order given, at most `parallel` at a time; the outcomes keep that order for the summary.
  const parallel = args.smoke ? SMOKE_PARALLEL : 1;
  const outcomes: Outcome[] = [];
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < names.length; index = next++) {
      const name = names[index] as string;
      const outcome = await runScenario(name, args.smoke, args.durationSeconds, args.profile);
      if (outcome.status === 'skipped') process.stdout.write(`\n### ${name}\n\nskipped: ${outcome.detail}\n`);
      if (outcome.status === 'failed') process.stderr.write(`\n✗ ${name} failed:\n${outcome.detail}\n`);
      outcomes[index] = outcome;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, names.length) }, lane));

  process.stdout.write('\nsummary:\n');
  for (const { name, status, detail } of outcomes) {
    const note = status === 'skipped' ? `: ${detail}` : '';
    process.stdout.write(`  ${status.padEnd(7)} ${name}${note}\n`);
  }
  return outcomes.some((outcome) => outcome.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`pnpm bench: ${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `pnpm bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
