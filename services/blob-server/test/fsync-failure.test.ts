// A failed fsync is fatal (PostgreSQL's "fsyncgate"): after one, the kernel may have dropped the pages it could
// not write, so the node must neither acknowledge the change nor go on serving an index that may not match the
// disk. In process: the store logs the failure (path, errno), reports it once to onFatal and refuses every
// later change with 503. For real: the entry point exits 1, and the restart rebuilds the index from the disk.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFreePort } from '@backend-rebase/net';
import { SERVICE_ROOT, startBlobServer, tempFiles, scratchDirsOfThisFile } from './support/blob-server.js';
import { defaultFileIo, type FileIo } from '../src/storage/file-io.js';
import { errnoError, startFaultyBlobServer } from './support/storage-faults.js';

const newDataDir = scratchDirsOfThisFile();

describe('a failed sync in process', () => {
  it('an fdatasync that fails: no success answer, one onFatal, an error log naming the path and errno', async () => {
    const dataDir = await newDataDir('fdatasync');
    const server = await startFaultyBlobServer(dataDir);
    try {
      expect((await fetch(`${server.url}/blobs/kept`, { method: 'PUT', body: 'before' })).status).toBe(201);
      server.faults.syncDataFails = true;
      const failed = await fetch(`${server.url}/blobs/kept`, { method: 'PUT', body: 'after' });
      expect(failed.status).toBe(503);
      expect(((await failed.json()) as { detail: string }).detail).toMatch(/fdatasync EIO.*restarting/);
      expect(server.fatal.map((error) => [error.call, error.errno])).toEqual([['fdatasync', 'EIO']]);
      const logged = server.logLines().find((line) => line.message?.toString().startsWith('a sync failed'));
      expect(logged).toMatchObject({ level: 'error', call: 'fdatasync', errno: 'EIO' });
      expect(String(logged?.path)).toContain(path.join(dataDir, 'tmp'));

      // The disk answers again, but the store stays stopped: only a restart knows what is on disk.
      server.faults.syncDataFails = false;
      expect((await fetch(`${server.url}/blobs/other`, { method: 'PUT', body: 'x' })).status).toBe(503);
      expect((await fetch(`${server.url}/blobs/kept`, { method: 'DELETE' })).status).toBe(503);
      expect(server.fatal).toHaveLength(1);
      expect(await tempFiles(dataDir)).toEqual([]);
      // Not ready, and the balancer's purge is refused the same way.
      expect((await fetch(`${server.url}/ready`)).status).toBe(503);
      expect((await fetch(`${server.url}/internal/blobs/kept?version=1`, { method: 'DELETE' })).status).toBe(
        503,
      );
    } finally {
      await server.close();
    }
    // The record was never renamed into place: the restart serves the version before.
    const restarted = await startBlobServer(dataDir);
    try {
      expect(await (await fetch(`${restarted.url}/blobs/kept`)).text()).toBe('before');
      expect((await fetch(`${restarted.url}/blobs/other`)).status).toBe(404);
    } finally {
      await restarted.close();
    }
  });

  it('a folder fsync that fails after the rename: 503, and the restart serves what the rename left', async () => {
    const dataDir = await newDataDir('folder-fsync');
    const server = await startFaultyBlobServer(dataDir);
    try {
      // The first write makes the id's folder, so the failing sync below is the one after the rename.
      expect((await fetch(`${server.url}/blobs/renamed`, { method: 'PUT', body: 'old' })).status).toBe(201);
      server.faults.syncFolderFails = true;
      expect((await fetch(`${server.url}/blobs/renamed`, { method: 'PUT', body: 'on disk' })).status).toBe(
        503,
      );
      expect(server.fatal.map((error) => error.call)).toEqual(['fsync']);
    } finally {
      await server.close();
    }
    const restarted = await startBlobServer(dataDir);
    try {
      expect(await (await fetch(`${restarted.url}/blobs/renamed`)).text()).toBe('on disk');
    } finally {
      await restarted.close();
    }
  });

  it('a delete whose sync fails is a 503 too', async () => {
    const dataDir = await newDataDir('delete-fsync');
    const server = await startFaultyBlobServer(dataDir);
    try {
      expect((await fetch(`${server.url}/blobs/doomed`, { method: 'PUT', body: 'x' })).status).toBe(201);
      server.faults.syncDataFails = true;
      expect((await fetch(`${server.url}/blobs/doomed`, { method: 'DELETE' })).status).toBe(503);
      expect(server.fatal).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('start-up', () => {
  it('fsyncs DATA_DIR once tmp/, blobs/ and tombstones/ exist in it, before anything is stored', async () => {
    const dataDir = path.join(await newDataDir('start-sync'), 'data');
    const synced: Array<{ folder: string; children: string[] }> = [];
    const fileIo: FileIo = {
      ...defaultFileIo,
      syncFolderNow: (folder) => {
        synced.push({ folder, children: readdirSync(folder).sort() });
        defaultFileIo.syncFolderNow(folder);
      },
    };
    const server = await startFaultyBlobServer(dataDir, {}, { fileIo });
    await server.close();
    expect(synced[0]).toEqual({ folder: dataDir, children: ['blobs', 'tmp', 'tombstones'] });
  });

  it('a start whose fsync of DATA_DIR fails does not serve', async () => {
    const dataDir = await newDataDir('start-sync-fails');
    const fileIo: FileIo = {
      ...defaultFileIo,
      syncFolderNow: () => {
        throw errnoError('EIO', 'fsync');
      },
    };
    await expect(startFaultyBlobServer(dataDir, {}, { fileIo })).rejects.toThrow(/fsync of .* failed: EIO/);
  });
});

describe('a failed sync in the real process', () => {
  it('exits 1 after logging it, and the restarted node serves the blob the rename left', async () => {
    const dataDir = await newDataDir('fsync-process');
    const marker = path.join(dataDir, '..', `${path.basename(dataDir)}.fail-sync`);
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const start = () => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          import.meta.resolve('tsx'),
          '--import',
          path.join(SERVICE_ROOT, 'test/support/failing-sync.ts'),
          'src/server.ts',
        ],
        {
          cwd: SERVICE_ROOT,
          env: {
            ...process.env,
            HOST: '127.0.0.1',
            PORT: String(port),
            DATA_DIR: dataDir,
            NODE_NAME: 'fsync-node',
            LOG_LEVEL: 'warn',
            FAIL_SYNC_MARKER: marker,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, exited, output: () => output };
    };
    const ready = async (node: ReturnType<typeof start>) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (node.child.exitCode !== null) throw new Error(`the blob server exited: ${node.output()}`);
        if (Date.now() > deadline) throw new Error(`the blob server did not become ready: ${node.output()}`);
        if (
          await fetch(`${url}/ready`).then(
            (response) => response.ok,
            () => false,
          )
        )
          return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    const first = start();
    try {
      await ready(first);
      expect((await fetch(`${url}/blobs/before`, { method: 'PUT', body: 'one' })).status).toBe(201);
      // Its folder exists after this, so the failing fsync below is the folder's, after the rename.
      expect((await fetch(`${url}/blobs/during`, { method: 'PUT', body: 'first' })).status).toBe(201);
      await writeFile(marker, 'fsync');
      const answer = await fetch(`${url}/blobs/during`, { method: 'PUT', body: 'two' }).then(
        (response) => response.status,
        () => 'no answer',
      );
      expect([503, 'no answer']).toContain(answer);
      expect(await first.exited).toBe(1);
      const line = first
        .output()
        .split('\n')
        .find((text) => text.includes('a sync failed'));
      expect(line).toBeDefined();
      expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 'error', call: 'fsync', errno: 'EIO' });
    } finally {
      first.child.kill('SIGKILL');
      await rm(marker, { force: true });
    }

    const second = start();
    try {
      await ready(second);
      expect(await (await fetch(`${url}/blobs/before`)).text()).toBe('one');
      expect(await (await fetch(`${url}/blobs/during`)).text()).toBe('two');
    } finally {
      second.child.kill('SIGKILL');
      await second.exited;
    }
  }, 60_000);
});
