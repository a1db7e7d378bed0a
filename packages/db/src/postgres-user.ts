// PostgreSQL refuses to run as root. A process running as root runs the embedded server as the `postgres`
// system user instead (created when missing, as most PostgreSQL packages do), and must then know whether that
// user can reach a folder: a repository in a folder only root may enter (a `mktemp -d` folder, /root) cannot
// be entered by anybody else. Not as root, everything runs as ourselves and none of this applies.
import { execFile, spawn } from 'node:child_process';

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

const NAME = 'postgres';

/** The user the server must run as: undefined when this process is not root (it runs as ourselves). */
export async function postgresSystemUser(): Promise<SystemUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await userIds();
  if (existing) return existing;
  // The group may exist without the user; useradd then says what is wrong.
  await run('groupadd', ['--system', NAME]).catch(() => undefined);
  try {
    await run('useradd', ['--system', '--gid', NAME, '--no-create-home', '--shell', '/bin/false', NAME]);
  } catch (error) {
    throw new Error(
      `running as root, PostgreSQL must run as a "${NAME}" user, and creating one failed ` +
        `(${(error as Error).message.trim()}): create it, or run as another user`,
      { cause: error },
    );
  }
  const created = await userIds();
  if (!created) throw new Error(`the "${NAME}" user was created but \`id ${NAME}\` does not find it`);
  return created;
}

/** Whether `user` can enter `dir` (every folder on the way must let it through). */
export function canEnter(user: SystemUser, dir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
      stdio: 'ignore',
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function userIds(): Promise<SystemUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', NAME]), run('id', ['-g', NAME])]);
    return { name: NAME, uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr || error.message));
      else resolve(stdout.trim());
    });
  });
}
