// Starts servers of its own (whatever TEST_DATABASE_URL says): the embedded server itself is under test.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startEmbeddedPostgres } from '../src/embedded.js';
import { findFreePort, isPortFree } from '@backend-rebase/net';
import { rows } from './helpers/sql.js';

async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'embedded-pg-test-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('startEmbeddedPostgres', () => {
  it('keeps its data across a stop and start, and across being killed', async () => {
    const dataDir = await temporaryDir();
    const port = await findFreePort();

    const first = await startEmbeddedPostgres({ dataDir, port });
    onTestFinished(() => first.stop());
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
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
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

  it('refuses a port that is already taken, with a message that says so', async () => {
    const dataDir = await temporaryDir();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as net.AddressInfo;

    await expect(startEmbeddedPostgres({ dataDir, port })).rejects.toThrow(
      `cannot start embedded PostgreSQL: port ${port} is already in use`,
    );
    expect(await readdir(dataDir)).toEqual([]);
  });
});
