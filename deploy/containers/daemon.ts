// A private dockerd for the container test, apart from any Docker the machine runs: its own data root (cached
// between runs, so images and build layers are reused), exec root, unix socket, pidfile, containerd namespace,
// bridge (rebase-docker0, 10.213.0.1/24) and address pool for compose networks (10.214.0.0/16). Guarantees:
// start() resolves only once the daemon answers on its socket, and rejects with the tail of its log otherwise;
// stop() ends the daemon and the containerd it started, removes the bridge and the run folder and undoes the
// firewall rules and forwarding the daemon set up (netfilter.ts), whatever state they are in, so that nothing of
// it keeps running or stays behind after the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { cacheDir, dockerDataRoot } from './cache.js';
import { run, succeeds } from './commands.js';
import { snapshotNetfilter } from './netfilter.js';

const runDir = '/run/backend-rebase-containers';
const socket = join(runDir, 'docker.sock');
const pidFile = join(runDir, 'dockerd.pid');
/** The test process that started the daemon: while it lives, the daemon is in use. */
const ownerFile = join(runDir, 'owner.pid');
const execRoot = join(runDir, 'exec');
const containerdPidFile = join(execRoot, 'containerd', 'containerd.pid');
/** The last run's daemon log, kept after the daemon stops for a look at what went wrong. */
const daemonLog = join(cacheDir, 'dockerd.log');

const BRIDGE = 'rebase-docker0';
const BRIDGE_ADDRESS = '10.213.0.1/24';
const ADDRESS_POOL = 'base=10.214.0.0/16,size=24';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface Daemon {
  /** DOCKER_HOST for every docker and compose command of the test. */
  env: { DOCKER_HOST: string };
  /** What dockerd chose (or CONTAINERS_STORAGE_DRIVER asked for): overlay2 where the kernel allows it. */
  storageDriver: string;
  /** Whether containers have NAT to the outside (iptables works here); builds need it to reach the npm registry. */
  iptables: boolean;
  stop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function logTail(lines = 30): Promise<string> {
  try {
    return (await readFile(daemonLog, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function ensureBridge() {
  if (await succeeds('ip', ['link', 'show', BRIDGE])) return;
  await run('ip', ['link', 'add', 'name', BRIDGE, 'type', 'bridge']);
  await run('ip', ['addr', 'add', BRIDGE_ADDRESS, 'dev', BRIDGE]);
  await run('ip', ['link', 'set', BRIDGE, 'up']);
}

/** dockerd leaves mounts in its exec root (its network namespace's nsfs), which rm cannot remove. */
async function unmountUnder(folder: string) {
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  const points = mounts
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(`${folder}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await run('umount', [point]).catch(() => undefined);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function stopPid(pid: number) {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export async function startDaemon(): Promise<Daemon> {
  if (process.getuid?.() !== 0) throw new Error('the private dockerd needs root (run the test as root)');
  const earlier = await readPid(pidFile);
  if (earlier !== undefined && alive(earlier)) {
    const owner = await readPid(ownerFile);
    if (owner !== undefined && owner !== process.pid && alive(owner)) {
      throw new Error(
        `a private dockerd of another run (pid ${owner}) is up (pid ${earlier}): wait for that run to finish`,
      );
    }
    // The run that started it was killed before it could stop it.
    console.log(`    stopping the dockerd an earlier, killed run left behind (pid ${earlier})`);
    await stopPid(earlier);
    const containerd = await readPid(containerdPidFile);
    if (containerd !== undefined) await stopPid(containerd);
  }
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  await mkdir(dockerDataRoot, { recursive: true });
  const restoreNetfilter = await snapshotNetfilter();
  await ensureBridge();

  // Without netfilter the daemon still runs and publishes ports through docker-proxy, but containers get no NAT.
  const iptables = await succeeds('iptables', ['-n', '-L']);
  const storageDriver = process.env.CONTAINERS_STORAGE_DRIVER;
  const args = [
    `--data-root=${dockerDataRoot}`,
    `--exec-root=${execRoot}`,
    `--pidfile=${pidFile}`,
    `--host=unix://${socket}`,
    `--bridge=${BRIDGE}`,
    `--default-address-pool=${ADDRESS_POOL}`,
    // A containerd already running on the machine would otherwise be shared, under dockerd's usual namespace.
    '--containerd-namespace=backend-rebase',
    '--containerd-plugins-namespace=backend-rebase-plugins',
    ...(iptables ? [] : ['--iptables=false', '--ip-masq=false']),
    ...(storageDriver ? [`--storage-driver=${storageDriver}`] : []),
  ];
  const log = await open(daemonLog, 'w');
  const child = spawn('dockerd', args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  child.unref();
  await writeFile(ownerFile, `${process.pid}\n`);
  const env = { DOCKER_HOST: `unix://${socket}` };

  const stop = async () => {
    if (child.pid !== undefined && alive(child.pid)) {
      child.kill('SIGTERM');
      await Promise.race([exited(child), sleep(STOP_TIMEOUT_MS)]);
      if (alive(child.pid)) child.kill('SIGKILL');
      await Promise.race([exited(child), sleep(5_000)]);
    }
    // dockerd stops the containerd it supervises; after a SIGKILL that is left to us.
    const containerd = await readPid(containerdPidFile);
    if (containerd !== undefined) await stopPid(containerd);
    await run('ip', ['link', 'delete', BRIDGE]).catch(() => undefined);
    await restoreNetfilter();
    await unmountUnder(runDir);
    await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`dockerd exited while starting (log: ${daemonLog}):\n${await logTail()}`);
    }
    try {
      const { stdout } = await run('docker', ['info', '--format', '{{.Driver}}'], { env, timeoutMs: 10_000 });
      return { env, storageDriver: stdout.trim(), iptables, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`dockerd did not answer within ${READY_TIMEOUT_MS / 1000} s:\n${await logTail()}`);
      }
      await sleep(250);
    }
  }
}
