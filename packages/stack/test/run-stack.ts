// Runs start-services.sh the way a user does, against a scratch repository root (STACK_ROOT) whose services
// are the fixtures in this folder, and watches its output.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { findFreePort as freePort } from '@backend-rebase/net';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface ScratchRoot {
  root: string;
  dataDir: string;
  logDir: string;
  /** The variables that point start-services.sh at this root, its data and its logs. */
  env: { STACK_ROOT: string; STACK_DATA_DIR: string; STACK_LOG_DIR: string };
}

/**
 * A repository root with fixture services and, optionally, one migrations folder. The services are those of
 * fixtures/services (the stack's tests) unless another folder of fixtures/ is named (fixtures/node-services:
 * a blob server and a balancer, for `pnpm start:node`).
 */
export async function scratchRoot(
  migrations?: { database: string; files: Record<string, string> },
  services = 'services',
): Promise<ScratchRoot> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'stack-test-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data folder inside.
  await chmod(root, 0o755);
  await symlink(path.join(fixtures, services), path.join(root, 'services'));
  if (migrations) {
    const dir = path.join(root, 'migrations', migrations.database);
    await mkdir(dir, { recursive: true });
    for (const [name, sql] of Object.entries(migrations.files)) await writeFile(path.join(dir, name), sql);
  }
  const [dataDir, logDir] = [path.join(root, '.data'), path.join(root, '.logs')];
  return { root, dataDir, logDir, env: { STACK_ROOT: root, STACK_DATA_DIR: dataDir, STACK_LOG_DIR: logDir } };
}

export class RunningStack {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string | undefined>) {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
    this.child = spawn('bash', [path.join(repoRoot, 'start-services.sh')], {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves when the output contains `text`; rejects if the stack exits first or time runs out. */
  async waitFor(text: string, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!this.output.includes(text)) {
      if (exited) throw new Error(`the stack exited before printing "${text}":\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no "${text}" after ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** What Ctrl-C does: SIGINT to start-services.sh. */
  interrupt(): void {
    this.child.kill('SIGINT');
  }

  /** SIGTERM to start-services.sh, as a process manager would stop it. */
  terminate(): void {
    this.child.kill('SIGTERM');
  }

  /** The process start-services.sh became (it execs the launcher), and the stack's process, its child. */
  processes(): { launcher: number; stack: number } {
    const launcher = this.child.pid!;
    const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
    const stack = table
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number))
      .find(([, parent]) => parent === launcher)?.[0];
    if (stack === undefined) throw new Error(`process ${launcher} has no child (yet)`);
    return { launcher, stack };
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Every live process whose command line names the folder (initdb, `postgres -D <folder>`), zombies aside. */
export function processesOn(folder: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(folder) && !/^\s*\d+\s+Z/.test(line));
}

/** Whether the process exists and has not exited (an exited one nobody has reaped yet is a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return state !== '' && !state.startsWith('Z');
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}
