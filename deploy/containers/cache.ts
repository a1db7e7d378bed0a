// Where the container test keeps what survives between runs: the private daemon's data root (its images and
// build cache) and the debootstrap root file system. One folder, $XDG_CACHE_HOME/backend-rebase (normally
// ~/.cache/backend-rebase), or BACKEND_REBASE_CACHE; deleting it makes the next run a cold one.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const cacheDir =
  process.env.BACKEND_REBASE_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'backend-rebase');

/** The private dockerd's --data-root: images, layers and the build cache stay here between runs. */
export const dockerDataRoot = join(cacheDir, 'docker');

export const rootfsDir = join(cacheDir, 'rootfs');
