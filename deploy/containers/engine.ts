// The container engine's programs are on the machine after ensureEngine(): dockerd and its runtime, a docker
// client, a compose (the `docker compose` plugin, or Debian's `docker-compose` v1), iptables for the bridge
// network, and debootstrap for the stand-in base images. Missing ones are installed from Debian's packages with
// apt-get, which needs root; nothing already there is replaced (a newer docker client on PATH stays in use).
import { run, succeeds, which } from './commands.js';

interface Need {
  program: string;
  debianPackage: string;
  present: () => Promise<boolean>;
}

const onPath = (program: string) => async () => (await which(program)) !== undefined;

const needs: Need[] = [
  { program: 'dockerd', debianPackage: 'docker.io', present: onPath('dockerd') },
  { program: 'docker', debianPackage: 'docker.io', present: onPath('docker') },
  {
    program: 'docker compose or docker-compose',
    debianPackage: 'docker-compose',
    present: async () =>
      (await which('docker-compose')) !== undefined || (await succeeds('docker', ['compose', 'version'])),
  },
  { program: 'iptables', debianPackage: 'iptables', present: onPath('iptables') },
  { program: 'debootstrap', debianPackage: 'debootstrap', present: onPath('debootstrap') },
];

/** Installs what is missing; returns the Debian packages it installed (none when everything was there). */
export async function ensureEngine(): Promise<string[]> {
  const missing: Need[] = [];
  for (const need of needs) if (!(await need.present())) missing.push(need);
  const packages = [...new Set(missing.map((need) => need.debianPackage))];
  if (packages.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.map((need) => need.program).join(', ')}; install the Debian packages ` +
        `${packages.join(' ')} (apt-get install), or run this as root and it will`,
    );
  }
  const install = ['install', '-y', '-q', '--no-install-recommends', ...packages];
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', install, { env });
  } catch {
    // Package lists that are missing or older than the archive make the install fail: refresh them once.
    await run('apt-get', ['update', '-q'], { env });
    await run('apt-get', install, { env });
  }
  return packages;
}
