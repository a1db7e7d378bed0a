// Running a program to completion for its wall time and peak RSS, the same way on Linux and macOS.
//
// Peak RSS is the kernel's high-water mark of a process's resident memory (getrusage's maxrss), every thread
// included. It comes from one of two places, and is never guessed:
//   - a lesson program prints its own (`peak RSS: N MiB`, process.resourceUsage().maxRSS, read after its work),
//     so it is measured as `pnpm lesson:*` runs it: compiled, with bare node, nothing added to the process;
//   - any other program (GNU sort) is measured by /usr/bin/time, `-f %M` (GNU, KiB) or `-l` (macOS and the BSDs,
//     bytes); where neither works the row gets no number (null) and a warning says why.
// On Linux a child's mark starts at what its parent held when it forked it, and the harness is big: so a lesson
// program is started by a small `sh` that forks it, and time(1), a small parent itself, reports its child's.
import { execFile, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { forkedNode, reportedPeakMiB } from '../../lessons/testing/lesson-process.js';
import { rootDir } from './process.js';
import type { ScenarioContext } from './scenario.js';

const TIME = '/usr/bin/time';
let profiledLessons = 0;

export interface MeasuredRun {
  seconds: number;
  stdout: string;
  stderr: string;
}

/** Compiles a lesson to its dist/ (lessons/build.js), as every `pnpm lesson:*` does before it runs. */
export async function buildLesson(lesson: string): Promise<void> {
  await promisify(execFile)(process.execPath, ['lessons/build.js', lesson], { cwd: rootDir });
}

/**
 * Runs `command args` in a process group of its own (stopped at clean-up if the scenario ends first) and
 * resolves with its output and wall time once it exits 0; rejects with its output otherwise.
 */
function run(
  ctx: ScenarioContext,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: rootDir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  ctx.onCleanup(() => {
    const running = child.exitCode === null && child.signalCode === null;
    if (running && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds, stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')}: ${signal ?? `exit ${code}`}\n${stdout}${stderr}`));
    });
  });
}

/** Runs a lesson's compiled program (`lessons/<lesson>/dist/<file>.js`) with bare node, as `pnpm lesson:*` does. */
export async function runLessonProgram(
  ctx: ScenarioContext,
  script: string,
  args: string[],
): Promise<MeasuredRun> {
  let profiling: string[] = [];
  if (ctx.profileDir) {
    // Named for the program, as a started process is (sort-cli.2/); each thread writes its own profile.
    const dir = join(ctx.profileDir, `${basename(script, '.js')}.${++profiledLessons}`);
    await mkdir(dir, { recursive: true });
    profiling = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  }
  return run(ctx, ...forkedNode([...profiling, script, ...args]), process.env);
}

/** The peak RSS a lesson program printed (`peak RSS: N MiB`). */
export function reportedPeakRssMiB({ stdout, stderr }: MeasuredRun): number {
  const reported = reportedPeakMiB(stdout + stderr);
  if (Number.isNaN(reported)) throw new Error(`no "peak RSS: N MiB" in the output:\n${stdout}${stderr}`);
  return reported;
}

type TimeFlavour = 'gnu' | 'bsd' | undefined;
let flavour: Promise<TimeFlavour> | undefined;

/** Which /usr/bin/time this machine has, found by trying both on `true`. */
function timeFlavour(): Promise<TimeFlavour> {
  const works = (args: string[]) =>
    promisify(execFile)(TIME, [...args, 'true']).then(
      () => true,
      () => false,
    );
  flavour ??= (async () =>
    (await works(['-f', '%M'])) ? 'gnu' : (await works(['-l'])) ? 'bsd' : undefined)();
  return flavour;
}

/**
 * Runs any program under /usr/bin/time for its peak RSS; without a usable time(1) it still runs (for its wall
 * time and output) and the peak is null, with a warning.
 */
export async function runTimed(
  ctx: ScenarioContext,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<MeasuredRun & { peakRssMiB: number | null }> {
  const kind = await timeFlavour();
  if (kind === undefined) {
    ctx.warn(`${TIME} takes neither -f (GNU) nor -l (BSD): no peak RSS for ${command}`);
    return { ...(await run(ctx, command, args, env)), peakRssMiB: null };
  }
  // GNU time prints its format line last; BSD time prints "<bytes>  maximum resident set size".
  const timeArgs = kind === 'gnu' ? ['-f', 'maxrss-kib=%M'] : ['-l'];
  const result = await run(ctx, TIME, [...timeArgs, command, ...args], env);
  const match =
    kind === 'gnu'
      ? /maxrss-kib=(\d+)\s*$/.exec(result.stderr)
      : /(\d+)\s+maximum resident set size/.exec(result.stderr);
  if (!match) throw new Error(`${TIME} printed no peak RSS for ${command}:\n${result.stderr}`);
  const bytes = Number(match[1]) * (kind === 'gnu' ? 1024 : 1);
  return { ...result, peakRssMiB: bytes / 2 ** 20 };
}
