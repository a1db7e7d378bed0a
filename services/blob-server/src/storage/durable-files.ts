// The steps that make a rename durable: the file's data reaches the disk before it gets its name, and the
// name reaches the disk before the write is acknowledged. With `fsync` off (benchmarks only) both are skipped
// and a crash may lose recent writes, though still never expose a partial one: the rename stays atomic.
import { open, type FileHandle } from 'node:fs/promises';

export async function syncFile(file: FileHandle, fsync: boolean): Promise<void> {
  if (fsync) await file.datasync();
}

export async function syncFolder(folder: string, fsync: boolean): Promise<void> {
  if (!fsync) return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
