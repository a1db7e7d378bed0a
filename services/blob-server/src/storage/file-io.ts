// The file-descriptor calls the store makes, as promises. fs/promises' FileHandle wraps the same system calls
// but costs about three times as much per call (measured here: 18,000 against 55,000 open + read + close per
// second, 32 in flight), and every blob request makes three to nine of them. Whoever opens a descriptor
// closes it, on every path.
import fs from 'node:fs';
import { promisify } from 'node:util';

export const openFile: (path: string, flags: string) => Promise<number> = promisify(fs.open);
export const closeFile: (fd: number) => Promise<void> = promisify(fs.close);
export const syncFileData: (fd: number) => Promise<void> = promisify(fs.fdatasync);
export const syncFileAll: (fd: number) => Promise<void> = promisify(fs.fsync);

/** Reads into `buffer` from `position`; resolves with the bytes read (fewer at the end of the file). */
export function readAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, buffer.length, position, (error, bytesRead) =>
      error ? reject(error) : resolve(bytesRead),
    );
  });
}

/** Writes all of `buffer` at `position`. */
export async function writeAt(fd: number, buffer: Buffer, position: number): Promise<void> {
  for (let written = 0; written < buffer.length;) {
    written += await new Promise<number>((resolve, reject) => {
      fs.write(fd, buffer, written, buffer.length - written, position + written, (error, bytes) =>
        error ? reject(error) : resolve(bytes),
      );
    });
  }
}
