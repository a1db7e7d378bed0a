// The file-descriptor calls the store makes, as promises. fs/promises' FileHandle wraps the same system calls
// but costs several times as much per call, and every blob request makes three to nine of them. Whoever opens a descriptor
// closes it, on every path.
//
// Most calls go to libuv's thread pool, and each such round trip costs the event loop a thread wake-up and a
// context switch (on this project's 2-core machines, more than the system call itself). Closing a descriptor,
// which never waits for the disk, is made on the calling thread instead.
//
// The store makes its writes, syncs, renames and removals through a `FileIo` (defaultFileIo unless a test
// injects one), so tests can make any of them fail the way a failing or full disk does (EIO, ENOSPC).
import fs from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

export const openFile: (path: string, flags: string) => Promise<number> = promisify(fs.open);
export const closeFile: (fd: number) => Promise<void> = promisify(fs.close);
const syncFileData: (fd: number) => Promise<void> = promisify(fs.fdatasync);
const syncFileAll: (fd: number) => Promise<void> = promisify(fs.fsync);

/** Reads into `buffer` from `position`; resolves with the bytes read (fewer at the end of the file). */
export function readAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, buffer.length, position, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    );
  });
}

/** Writes all of `buffer` at `position`. */
async function writeAt(fd: number, buffer: Buffer, position: number): Promise<void> {
  for (let written = 0; written < buffer.length;) {
    written += await new Promise<number>((resolve, reject) => {
      fs.write(fd, buffer, written, buffer.length - written, position + written, (error, bytes) =>
        error ? reject(error) : resolve(bytes),
      );
    });
  }
}

/** Closes on this thread: a close of a file or folder this process opened does not wait for the disk. */
async function closeNow(fd: number): Promise<void> {
  fs.closeSync(fd);
}

/** The calls by which the store changes what is on disk. */
export interface FileIo {
  open(path: string, flags: string): Promise<number>;
  close(fd: number): Promise<void>;
  writeAt(fd: number, buffer: Buffer, position: number): Promise<void>;
  /** fdatasync */
  syncData(fd: number): Promise<void>;
  /** fsync (of a folder) */
  syncAll(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** removes a file; a missing one is no error */
  remove(path: string): Promise<void>;
  makeFolder(path: string): Promise<void>;
  /** fsync of a folder, synchronously: for start-up, before the server serves anything */
  syncFolderNow(path: string): void;
}

export const defaultFileIo: FileIo = {
  open: openFile,
  close: closeNow,
  writeAt,
  syncData: syncFileData,
  syncAll: syncFileAll,
  rename,
  remove: (file) => rm(file, { force: true }),
  makeFolder: async (folder) => {
    await mkdir(folder, { recursive: true });
  },
  syncFolderNow: (folder) => {
    const fd = fs.openSync(folder, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};
