// Running the programs the container test drives (apt-get, debootstrap, dockerd, docker, compose). Guarantees:
// a command that exits non-zero, is killed, or cannot be started rejects with a CommandError naming the command
// and carrying the tail of its output; nothing goes through a shell, so arguments are never re-split or expanded.
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunOptions {
  /** Extra environment, on top of this process's. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's stdin, then closed. */
  input?: string;
  /** Show the command's output as it runs (still kept for the error); otherwise it is only captured. */
  echo?: boolean;
  /** Kill the command (SIGKILL) after this long and reject. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** How many characters of a failed command's output an error keeps: enough for a build's last step. */
const TAIL_CHARS = 4000;

class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    const tail = output.length > TAIL_CHARS ? `…${output.slice(-TAIL_CHARS)}` : output;
    super(
      `\`${command}\` ${exitCode === null ? 'was killed' : `exited with ${exitCode}`}\n${tail.trimEnd()}`,
    );
    this.name = 'CommandError';
  }
}

function describe(command: string, args: readonly string[]): string {
  return [command, ...args].map((part) => (/^[\w./:=@,+-]+$/.test(part) ? part : `'${part}'`)).join(' ');
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const shown = describe(command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let both = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      both += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      both += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            both += `\n(killed after ${options.timeoutMs} ms)`;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new CommandError(shown, null, `${both}${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError(shown, code, both));
    });
    child.stdin.on('error', () => {
      // A command that exits without reading its input closes the pipe; its exit status tells what happened.
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Whether the command exits 0; its output is discarded. */
export async function succeeds(command: string, args: readonly string[], options: RunOptions = {}) {
  try {
    await run(command, args, options);
    return true;
  } catch (error) {
    if (error instanceof CommandError) return false;
    throw error;
  }
}

/** The absolute path of a program on PATH (or in the sbin folders, which root's PATH may lack), or undefined. */
export async function which(program: string): Promise<string | undefined> {
  const folders = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const folder of folders.filter((entry) => entry.startsWith('/'))) {
    try {
      await access(join(folder, program), constants.X_OK);
      return join(folder, program);
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
