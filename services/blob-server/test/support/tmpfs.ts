// A tmpfs of the test file's own, for tests that need a file system with a property the machine's own lacks
// (a small size that fills, case folding). Mounting needs root and a kernel that takes the options: where it
// cannot be had, `mountPoint` stays undefined and `skipReason` says why, so the test skips with that reason.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface Tmpfs {
  mountPoint: string | undefined;
  skipReason: string | undefined;
}

/** Mounts `tmpfs -o <options>` before the file's tests and unmounts it after them. */
export function tmpfsOfThisFile(options: string, refused: string): Tmpfs {
  const tmpfs: Tmpfs = { mountPoint: undefined, skipReason: undefined };
  beforeAll(async () => {
    if (process.getuid?.() !== 0) {
      tmpfs.skipReason = 'mounting a tmpfs needs root';
      return;
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'blob-server-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
      tmpfs.mountPoint = dir;
    } catch (error) {
      tmpfs.skipReason = `${refused}: ${(error as Error).message}`;
      await rm(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    if (tmpfs.mountPoint === undefined) return;
    execFileSync('umount', [tmpfs.mountPoint]);
    await rm(tmpfs.mountPoint, { recursive: true, force: true });
  });
  return tmpfs;
}
