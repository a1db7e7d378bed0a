// The steps that make a rename durable: the file's data reaches the disk before it gets its name, and the
// name reaches the disk before the write is acknowledged. With `fsync` off (benchmarks only) both are skipped
// and a crash may lose recent writes, though still never expose a partial one: the rename stays atomic.
//
// A failed sync is not an error to retry or report to one client: after a failed fsync the kernel may have
// dropped the dirty pages and marked them clean (PostgreSQL's "fsyncgate"), so what is on disk is unknown and a
// later fsync can succeed without writing them. Both functions throw a FatalStorageError, and the store stops
// (blob-store.ts): only a restart, which re-reads every record, knows the truth again.
import { FatalStorageError } from './errors.js';
import type { FileIo } from './file-io.js';

export async function syncFile(io: FileIo, fd: number, file: string, fsync: boolean): Promise<void> {
  if (!fsync) return;
  try {
    await io.syncData(fd);
  } catch (error) {
    throw new FatalStorageError('fdatasync', file, error as NodeJS.ErrnoException);
  }
}

export async function syncFolder(io: FileIo, folder: string, fsync: boolean): Promise<void> {
  if (!fsync) return;
  const fd = await io.open(folder, 'r');
  try {
    await io.syncAll(fd);
  } catch (error) {
    throw new FatalStorageError('fsync', folder, error as NodeJS.ErrnoException);
  } finally {
    await io.close(fd);
  }
}
