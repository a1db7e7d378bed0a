// Folders that root shares with the `postgres` user under the system's temporary folder. Anybody may create a
// name there first (a folder, or a link to somewhere else), so a folder found there is used only when it is a
// real folder of root's that nobody else may change.
import { lstat, mkdir } from 'node:fs/promises';

/** False when `path` does not exist; true when it is a trusted folder; an error for anything else. */
export async function isRootOwnedFolder(path: string): Promise<boolean> {
  const stats = await lstat(path).catch(() => undefined);
  if (!stats) return false;
  if (!stats.isDirectory() || stats.uid !== 0 || (stats.mode & 0o022) !== 0) {
    throw new Error(`${path} is not a folder of root's that only root may change: delete it and start again`);
  }
  return true;
}

/** The folder, created readable by everybody when missing. */
export async function rootOwnedFolder(path: string): Promise<string> {
  if (!(await isRootOwnedFolder(path))) {
    await mkdir(path, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await isRootOwnedFolder(path);
  }
  return path;
}
