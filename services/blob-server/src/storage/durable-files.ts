// The steps that make a rename durable: the file's data reaches the disk before it gets its name, and the
// name reaches the disk before the write is acknowledged. With `fsync` off (benchmarks only) both are skipped
// and a crash may lose recent writes, though still never expose a partial one: the rename stays atomic.
import { closeFile, openFile, syncFileAll, syncFileData } from './file-io.js';

export async function syncFile(fd: number, fsync: boolean): Promise<void> {
  if (fsync) await syncFileData(fd);
}

export async function syncFolder(folder: string, fsync: boolean): Promise<void> {
  if (!fsync) return;
  const fd = await openFile(folder, 'r');
  try {
    await syncFileAll(fd);
  } finally {
    await closeFile(fd);
  }
}
