// A blob server in this process whose disk can be made to fail: the store's FileIo with switches a test
// flips (a write that finds the disk full, an fdatasync or folder fsync that fails with EIO), and the fatal
// storage errors it reported. What it guarantees: every call goes to the real file system unless its switch is
// on, so what a test reads back after a fault is what a real disk would hold.
import { captureLogger } from '@backend-rebase/logger/testing';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import type { FatalStorageError } from '../../src/storage/errors.js';
import { defaultFileIo, type FileIo } from '../../src/storage/file-io.js';
import { testConfig } from '../../src/testing.js';
import type { RunningBlobServer } from './blob-server.js';

interface DiskFaults {
  /** the next writes fail with this code (ENOSPC, EDQUOT) once this many bytes were written to the file */
  writeFails?: { code: string; afterBytes: number };
  /** fdatasync fails with EIO */
  syncDataFails?: boolean;
  /** a folder fsync fails with EIO */
  syncFolderFails?: boolean;
}

export function errnoError(code: string, call: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: ${call} failed (injected)`);
  error.code = code;
  error.syscall = call;
  return error;
}

function faultyIo(faults: DiskFaults): FileIo {
  return {
    ...defaultFileIo,
    writeAt: async (fd, buffer, position) => {
      const fail = faults.writeFails;
      if (fail && position + buffer.length > fail.afterBytes) throw errnoError(fail.code, 'write');
      await defaultFileIo.writeAt(fd, buffer, position);
    },
    syncData: async (fd) => {
      if (faults.syncDataFails) throw errnoError('EIO', 'fdatasync');
      await defaultFileIo.syncData(fd);
    },
    syncAll: async (fd) => {
      if (faults.syncFolderFails) throw errnoError('EIO', 'fsync');
      await defaultFileIo.syncAll(fd);
    },
  };
}

export interface FaultyBlobServer extends RunningBlobServer {
  faults: DiskFaults;
  fatal: FatalStorageError[];
}

export async function startFaultyBlobServer(
  dataDir: string,
  overrides: Partial<Config> = {},
  { caseSensitive, fileIo }: { caseSensitive?: boolean; fileIo?: FileIo } = {},
): Promise<FaultyBlobServer> {
  const { logger, lines } = captureLogger('blob-server');
  const faults: DiskFaults = {};
  const fatal: FatalStorageError[] = [];
  const app = await buildApp(testConfig(dataDir, overrides), {
    logger,
    fileIo: fileIo ?? faultyIo(faults),
    caseSensitive,
    onFatalStorageError: (error) => fatal.push(error),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    app,
    logLines: lines,
    close: () => app.close(),
    faults,
    fatal,
  };
}

export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
}
