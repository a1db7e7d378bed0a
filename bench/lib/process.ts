// Spawning the processes a scenario measures: services under test, fixture servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository root (no trailing slash). */
export const rootDir = resolve(fileURLToPath(new URL('../../', import.meta.url)));

const tsxLoader = import.meta.resolve('tsx');
const childGuard = import.meta.resolve('@backend-rebase/stack/child-guard');

export interface SpawnOptions {
  /** A short label used in messages, e.g. "blob-server-1". */
  name: string;
  /** The entry file, run with tsx: absolute, or relative to the repository root. */
  script: string;
  args?: string[];
  /** Added to (or, with `undefined`, removed from) the harness's own environment. */
  env?: Record<string, string | undefined>;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Write V8 CPU profiles into this folder when the process exits (`node --cpu-prof`), one per thread. */
  cpuProfileDir?: string;
}

export interface StartProcessOptions extends SpawnOptions {
  /** When given, startProcess resolves only once this URL answers (see waitForHttp). */
  waitFor?: string;
  /** How long to wait for `waitFor` (default 20 s). */
  waitTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessHandle {
  readonly name: string;
  readonly pid: number;
  /** The last 16 KiB of the child's stdout and stderr, interleaved (also once it has been stopped). */
  output(): string;
  /** Resolves when the child has exited (whoever stopped it). */
  readonly exited: Promise<ExitInfo>;
  /** Whether the child has exited. */
  readonly hasExited: boolean;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s); resolves once the child is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface WaitForHttpOptions {
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** Poll interval (default 100 ms). */
  intervalMs?: number;
  /** Keep polling until the answer has this status (default: any answer will do). */
  status?: number;
  /** Fail at once, with the process's output, if this process exits while we wait. */
  process?: ProcessHandle;
}

export { findFreePort as freePort } from '@backend-rebase/net';

const OUTPUT_LIMIT = 16 * 1024;

export function describeExit({ code, signal }: ExitInfo): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Spawns `script` with tsx; the caller stops it (ctx.startProcess registers that, and handles `waitFor`). */
export async function startProcess(options: SpawnOptions): Promise<ProcessHandle> {
  const script = isAbsolute(options.script) ? options.script : resolve(rootDir, options.script);
  if (!existsSync(script)) throw new Error(`${options.name}: script not found: ${script}`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  // No --cpu-prof-name: every thread (tsx's module loader runs in one of its own) would write to that one name.
  const profiling = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  // The child writes its output to a file, not to a pipe the harness reads: the harness is also the load
  // generator, and reading a service's log line per request would take its CPU from the load, not the service's.
  const outputDir = await mkdtemp(join(tmpdir(), 'bench-output-'));
  const outputFile = join(outputDir, `${options.name}.log`);
  const outputFd = openSync(outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [...profiling, '--import', tsxLoader, '--import', childGuard, script, ...(options.args ?? [])],
      { cwd: options.cwd ?? rootDir, env, stdio: ['ignore', outputFd, outputFd, 'ipc'] },
    );
  } finally {
    closeSync(outputFd); // the child holds its own copy
  }

  let hasExited = false;
  const exited = new Promise<ExitInfo>((resolveExit, rejectExit) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      resolveExit({ code, signal });
    });
    child.once('error', (error) => {
      hasExited = true;
      rejectExit(new Error(`${options.name}: could not start ${script}: ${error.message}`));
    });
  });
  // Nobody may be awaiting `exited` when it rejects; the rejection is surfaced by stop()/waitForHttp instead.
  exited.catch(() => undefined);

  const removeOutput = () => rm(outputDir, { recursive: true, force: true });
  if (child.pid === undefined) {
    await removeOutput();
    await exited; // rejects with the spawn error
    throw new Error(`${options.name}: could not start ${script}`);
  }
  const pid = child.pid;

  let stopping: Promise<void> | undefined;
  let stoppedOutput: string | undefined;
  const handle: ProcessHandle = {
    name: options.name,
    pid,
    output: () => stoppedOutput ?? tail(outputFile, OUTPUT_LIMIT),
    exited,
    get hasExited() {
      return hasExited;
    },
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (!hasExited) {
          child.kill('SIGTERM');
          const outcome = await Promise.race([
            exited.then(() => 'exited' as const),
            sleep(graceMs, 'timeout' as const),
          ]);
          if (outcome === 'timeout' && !hasExited) {
            child.kill('SIGKILL');
            await exited.catch(() => undefined);
          }
        }
        // What it wrote stays readable after the stop (a scenario may read a line it logged on the way out).
        stoppedOutput = tail(outputFile, OUTPUT_LIMIT);
        await removeOutput();
      })();
      return stopping;
    },
  };

  return handle;
}

/** The last `limit` bytes of a file, as text ('' when it is gone). */
function tail(file: string, limit: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = fstatSync(fd);
    const length = Math.min(size, limit);
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, size - length);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export async function waitForHttp(url: string, options: WaitForHttpOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const child = options.process;
    if (child?.hasExited) {
      const info = await child.exited.catch((error: unknown) => error);
      const why = info instanceof Error ? info.message : describeExit(info as ExitInfo);
      throw new Error(
        `${child.name} ${why} before ${url} answered. Its output:\n${child.output() || '(none)'}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(250, intervalMs * 5)) });
      await response.arrayBuffer();
      if (options.status === undefined || response.status === options.status) return;
      last = `status ${response.status}`;
    } catch (error) {
      last =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
    }
    if (Date.now() >= deadline) {
      const tail = child ? `\nOutput of ${child.name}:\n${child.output() || '(none)'}` : '';
      throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last})${tail}`);
    }
    await sleep(intervalMs);
  }
}
