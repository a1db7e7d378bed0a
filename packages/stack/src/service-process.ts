// One service as a child process: its output goes line by line to `.logs/<name>.log` and, prefixed with its
// name, to our stdout. It runs in its own process group, so a Ctrl-C in the terminal reaches only the stack,
// which then stops each service with exactly one SIGTERM (a second signal would make a service skip its
// graceful shutdown). Should the stack itself die without stopping it, the child guard stops the service.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';

const TSX = import.meta.resolve('tsx');
const CHILD_GUARD = new URL('./child-guard.ts', import.meta.url).href;

export interface ServiceProcessOptions {
  name: string;
  cwd: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Where prefixed lines go; null keeps the console quiet (tests). */
  console: NodeJS.WritableStream | null;
}

export class ServiceProcess {
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private exitCode: number | null | undefined;

  constructor(options: ServiceProcessOptions) {
    this.name = options.name;
    this.logFile = options.logFile;
    this.log = createWriteStream(options.logFile, { flags: 'w' });
    this.child = spawn(process.execPath, ['--import', TSX, '--import', CHILD_GUARD, options.entry], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    this.child.channel?.unref();
    const prefix = `[${options.name}] `;
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.log.write(line + '\n');
        options.console?.write(prefix + line + '\n');
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.log.write(`could not start: ${error.message}\n`);
        this.exitCode = null;
        resolve(null);
      });
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGTERM, then SIGKILL for the whole group when it has not exited within `graceMs`. */
  async stop(graceMs: number): Promise<number | null> {
    if (this.running) {
      this.signalGroup('SIGTERM');
      const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.log.end();
    await once(this.log, 'close').catch(() => undefined);
    return this.exitCode ?? null;
  }

  /** Last resort when the stack itself is exiting abruptly: no waiting possible. */
  killNow(): void {
    if (this.running) this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export function logFileFor(logDir: string, name: string): string {
  return path.join(logDir, `${name}.log`);
}
