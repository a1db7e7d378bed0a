// Starts servers of its own (whatever TEST_DATABASE_URL says): the embedded server itself is under test.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readdir, realpath, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { startEmbeddedPostgres } from '../src/embedded.js';
import { isRunning } from '../src/leftover-server.js';
import { findFreePort, isPortFree } from '@backend-rebase/net';
import { rows } from './support/sql.js';

const TSX = import.meta.resolve('tsx');
const EMBEDDED_PROCESS = fileURLToPath(new URL('./support/embedded-process.ts', import.meta.url));
const isRoot = process.getuid?.() === 0;

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

// Every live process whose command line names the folder: initdb, and a postmaster (`postgres -D <dir>`).
function processesOn(dataDir: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(dataDir) && !/^\s*\d+\s+Z/.test(line));
}

type Cleanup = TestContext['onTestFinished'];

async function temporaryDir(onTestFinished: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'embedded-pg-test-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// Side by side: each test has folders and ports of its own, and most of its time is initdb and server starts.
describe.concurrent('startEmbeddedPostgres', () => {
  it('keeps its data across a stop and start, and across being killed', async ({
    onTestFinished,
    expect,
  }) => {
    const dataDir = await temporaryDir(onTestFinished);
    const port = await findFreePort();

    const first = await startEmbeddedPostgres({ dataDir, port });
    onTestFinished(() => first.stop());
    // UTF-8 with Unicode case mapping, though initdb runs under LC_ALL=C (the shell's locale plays no part).
    expect(
      await rows(
        first.serverUrl,
        "SELECT current_setting('server_encoding') AS encoding, datlocprovider AS provider, datlocale AS locale, " +
          "lower('ÄÖ Ж') AS lower FROM pg_database WHERE datname = 'template0'",
      ),
    ).toEqual([{ encoding: 'UTF8', provider: 'b', locale: 'C.UTF-8', lower: 'äö ж' }]);
    await rows(first.serverUrl, 'CREATE TABLE notes (text text)');
    await rows(first.serverUrl, "INSERT INTO notes VALUES ('written before the restart')");
    await first.stop();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, port });
    onTestFinished(() => second.stop());
    expect(await rows(second.serverUrl, 'SELECT text FROM notes')).toEqual([
      { text: 'written before the restart' },
    ]);

    // A killed server leaves postmaster.pid behind and skips the shutdown checkpoint.
    await rows(second.serverUrl, "INSERT INTO notes VALUES ('written before the kill')");
    const pid = await postmasterPid(dataDir);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => isPortFree(port)).toBe(true);
    await second.stop();

    const third = await startEmbeddedPostgres({ dataDir, port });
    onTestFinished(() => third.stop());
    expect(await rows(third.serverUrl, 'SELECT text FROM notes ORDER BY text')).toEqual([
      { text: 'written before the kill' },
      { text: 'written before the restart' },
    ]);
  });

  it('refuses a port that is already taken, with a message that says so', async ({ onTestFinished }) => {
    const dataDir = await temporaryDir(onTestFinished);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as net.AddressInfo;

    // The listener is this very process: the message names it.
    await expect(startEmbeddedPostgres({ dataDir, port })).rejects.toThrow(
      `cannot start embedded PostgreSQL: port ${port} is already in use by process ${process.pid} (`,
    );
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('stops the server a killed process left running, and refuses to touch one a live process uses', async ({
    onTestFinished,
  }) => {
    const dataDir = await temporaryDir(onTestFinished);
    const port = await findFreePort();
    const owner = spawn(process.execPath, ['--import', TSX, EMBEDDED_PROCESS, dataDir, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => void owner.kill('SIGKILL'));
    for await (const line of readline.createInterface({ input: owner.stdout })) if (line === 'ready') break;
    const leftover = await postmasterPid(dataDir);

    await expect(startEmbeddedPostgres({ dataDir, port: await findFreePort() })).rejects.toThrow(
      `the embedded PostgreSQL in ${dataDir} (process ${leftover}) is in use by process ${owner.pid} (node)`,
    );

    // Killed outright, the owner cannot stop its server: it keeps running, and keeps the port.
    owner.kill('SIGKILL');
    await once(owner, 'exit');
    expect(isRunning(leftover)).toBe(true);

    const server = await startEmbeddedPostgres({ dataDir, port });
    onTestFinished(() => server.stop());
    expect(isRunning(leftover)).toBe(false);
    expect(await postmasterPid(dataDir)).not.toBe(leftover);
    expect(await rows(server.serverUrl, 'SELECT 1 AS answer')).toEqual([{ answer: 1 }]);
  });

  it('stops initdb, or the server, when its start is aborted, and starts cleanly afterwards', async ({
    onTestFinished,
  }) => {
    const dataDir = await temporaryDir(onTestFinished);
    const port = await findFreePort();
    const abortOnFirstLineOf = (source: string) => {
      const controller = new AbortController();
      const logger = {
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
        debug: (_message: string, meta?: object) => {
          if (meta && 'source' in meta && meta.source === source) controller.abort();
        },
      };
      return { dataDir, port, logger, signal: controller.signal };
    };

    await expect(startEmbeddedPostgres(abortOnFirstLineOf('initdb'))).rejects.toThrow(/aborted/);
    expect(processesOn(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(false);

    // Now with a cluster, aborted while the server starts.
    await (await startEmbeddedPostgres({ dataDir, port })).stop();
    await expect(startEmbeddedPostgres(abortOnFirstLineOf('postgres'))).rejects.toThrow(/aborted/);
    expect(processesOn(dataDir)).toEqual([]);
    expect(await isPortFree(port)).toBe(true);

    const server = await startEmbeddedPostgres({ dataDir, port });
    onTestFinished(() => server.stop());
    expect(await rows(server.serverUrl, 'SELECT 1 AS answer')).toEqual([{ answer: 1 }]);
  });

  // As root, PostgreSQL runs as the `postgres` user, which cannot enter a folder only root may enter.
  (isRoot ? it : it.skip)(
    'as root, runs from a data folder inside a folder only root may enter (root only)',
    async ({ onTestFinished }) => {
      const locked = await temporaryDir(onTestFinished);
      expect((await stat(locked)).mode & 0o777).toBe(0o700);
      const dataDir = join(locked, 'repo', '.data', 'postgres');
      const port = await findFreePort();

      const server = await startEmbeddedPostgres({ dataDir, port });
      const cluster = await realpath(dataDir);
      onTestFinished(() => rm(cluster, { recursive: true, force: true }));
      onTestFinished(() => server.stop());
      expect(await rows(server.serverUrl, 'SELECT 1 AS answer')).toEqual([{ answer: 1 }]);
      // The cluster lives where that user can reach it, and the data folder links to it.
      expect((await lstat(dataDir)).isSymbolicLink()).toBe(true);
      expect(await postmasterPid(dataDir)).toBeGreaterThan(0);
      await server.stop();

      // The next start finds the same cluster through the link.
      await rows(server.serverUrl, 'SELECT 1').catch(() => undefined);
      const again = await startEmbeddedPostgres({ dataDir, port });
      onTestFinished(() => again.stop());
      expect(await realpath(dataDir)).toBe(cluster);
      expect(await rows(again.serverUrl, 'SELECT 1 AS answer')).toEqual([{ answer: 1 }]);
    },
  );
});
