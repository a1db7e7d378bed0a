// Which program listens on a local TCP port, for the message that says a port is taken: read from /proc on
// Linux, else asked of `lsof` (macOS, and Linux where /proc shows nothing we may read). Best effort: undefined
// when neither can tell (no lsof, or a socket of another user's process), never an error.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { commandOutput } from './command-output.js';

interface PortOwner {
  pid: number;
  /** The program's command line, cut to a readable length. */
  command: string;
}

/** "process 1234 (node server.js)", or undefined when no program can be named. */
export async function describePortOwner(port: number): Promise<string | undefined> {
  const owner = (await ownerFromProc(port)) ?? (await ownerFromLsof(port));
  return owner && `process ${owner.pid} (${owner.command})`;
}

async function ownerFromProc(port: number): Promise<PortOwner | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st … inode: a listening socket is state 0A, the port is hex after ':'.
      const fields = line.trim().split(/\s+/);
      const localPort = fields[1]?.split(':')[1];
      if (fields[3] === '0A' && localPort && parseInt(localPort, 16) === port && fields[9])
        inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = await readdir('/proc').catch(() => []);
  for (const pid of pids.filter((name) => /^\d+$/.test(name))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        return { pid: Number(pid), command: shorten(cmdline.split('\0').join(' ').trim()) };
      }
    }
  }
  return undefined;
}

async function ownerFromLsof(port: number): Promise<PortOwner | undefined> {
  const pidText = await commandOutput('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-t']);
  const pid = Number(pidText?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const command = await commandOutput('ps', ['-p', String(pid), '-o', 'command=']);
  return { pid, command: shorten(command?.trim() || 'unknown program') };
}

function shorten(command: string): string {
  return command.length > 120 ? `${command.slice(0, 117)}…` : command;
}
