// Runs start-services.sh the way a user does, against a scratch repository root (STACK_ROOT) whose services
// are the fixtures in this folder, and watches its output.
import { spawn, type ChildProcess } from 'node:child_process';
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
}

/** A repository root with the fixture services and, optionally, one migrations folder. */
export async function scratchRoot(migrations?: {
  database: string;
  files: Record<string, string>;
}): Promise<ScratchRoot> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'stack-test-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data folder inside.
  await chmod(root, 0o755);
  await symlink(path.join(fixtures, 'services'), path.join(root, 'services'));
  if (migrations) {
    const dir = path.join(root, 'migrations', migrations.database);
    await mkdir(dir, { recursive: true });
    for (const [name, sql] of Object.entries(migrations.files)) await writeFile(path.join(dir, name), sql);
  }
  return { root, dataDir: path.join(root, '.data'), logDir: path.join(root, '.logs') };
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

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
