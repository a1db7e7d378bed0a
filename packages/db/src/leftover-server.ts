// An embedded server that an earlier run left behind: the process that started it was killed (`kill -9`)
// before it could stop it, and the server, orphaned, still holds its data folder and port. It is recognised by
// the postmaster.pid it keeps in the data folder (process id, then the data folder itself), and told apart from a
// server another run still uses by its parent: a server in use is the child of the Node process that started
// it; a left-over one has been adopted by init (or whatever reaps orphans).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { commandOutput } from '@backend-rebase/net';
import type { Logger } from './logger.js';

const STOP_TIMEOUT_MS = 30_000;

/** The server named by `dataDir`/postmaster.pid, when it runs. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; dataDir: string } | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const [pidLine, dirLine] = text.split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 0 || !dirLine || !isRunning(pid)) return undefined;
  // After a reboot the number may belong to another program: only a postgres started on this folder counts.
  const command = await commandLine(pid);
  if (!command?.includes('postgres') || !command.includes(dirLine)) return undefined;
  return { pid, dataDir: dirLine };
}

/**
 * Stops the server an earlier run left running on `dataDir` (fast shutdown, waiting until it has exited) and
 * returns its process id; refuses a server another live process still uses.
 */
export async function stopLeftoverServer(dataDir: string, logger: Logger): Promise<number | undefined> {
  const server = await runningPostmaster(dataDir);
  if (!server) return undefined;
  const parent = await parentOf(server.pid);
  if (parent && parent.pid !== 1 && /^node/.test(parent.program)) {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} (process ${server.pid}) is in use by process ${parent.pid} ` +
        `(${parent.program}): is the stack already running? Stop that first.`,
    );
  }
  logger.warn('stopping the embedded PostgreSQL an earlier run left running', { pid: server.pid, dataDir });
  process.kill(server.pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isRunning(server.pid)) {
    if (Date.now() > deadline) {
      throw new Error(
        `the embedded PostgreSQL an earlier run left running (process ${server.pid}, data in ${dataDir}) did not ` +
          `stop within ${STOP_TIMEOUT_MS / 1000} s: stop it with \`kill -9 ${server.pid}\``,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return server.pid;
}

/** Whether the process exists and has not exited; an exited child nobody has reaped yet (a zombie) has. */
export function isRunning(pid: number): boolean {
  try {
    // Signal 0 delivers nothing: it only asks whether the process exists.
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processState(pid) !== 'Z';
}

// /proc/<pid>/stat is "pid (name) state ppid …"; the name may hold spaces and parentheses. Linux only.
function statFields(pid: number): string[] | undefined {
  const stat = readFileSyncSafe(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

async function parentOf(pid: number): Promise<{ pid: number; program: string } | undefined> {
  const fromProc = statFields(pid)?.[1];
  const ppid = Number(fromProc ?? (await commandOutput('ps', ['-o', 'ppid=', '-p', String(pid)]))?.trim());
  if (!Number.isInteger(ppid) || ppid <= 0) return undefined;
  // The program it runs, from its first argument: /proc/<pid>/comm names the main thread instead, which Node 24
  // calls MainThread.
  const program =
    readFileSyncSafe(`/proc/${ppid}/cmdline`)?.split('\0')[0] ??
    (await commandOutput('ps', ['-o', 'comm=', '-p', String(ppid)]))?.trim();
  return { pid: ppid, program: basename(program || '?') };
}

async function commandLine(pid: number): Promise<string | undefined> {
  const proc = readFileSyncSafe(`/proc/${pid}/cmdline`);
  if (proc) return proc.split('\0').join(' ');
  return commandOutput('ps', ['-o', 'command=', '-p', String(pid)]);
}

function readFileSyncSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
