// A Debian bookworm minbase root file system as a tarball, made with debootstrap once and cached
// (<cache>/rootfs/bookworm-minbase.tar), for the stand-in base images. Guarantees: the tarball at that path is
// always complete (it is written aside and renamed into place), and it is made from the Debian mirror this
// machine's apt uses, so it needs no network access that apt does not already have.
import { access, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { rootfsDir } from './cache.js';
import { run } from './commands.js';

export const SUITE = 'bookworm';
export const rootfsTarball = join(rootfsDir, `${SUITE}-minbase.tar`);
const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

/**
 * The first mirror a sources file lists for the suite, from deb822 stanzas (URIs:/Suites:) or one-line
 * `deb URL SUITE …` entries; the security and updates archives (other suites) are not mirrors of the suite.
 */
export function mirrorIn(sources: string, suite = SUITE): string | undefined {
  for (const stanza of sources.split(/\n\s*\n/)) {
    const uris = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
    const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? [];
    const binary = (/^Types:\s*(.+)$/m.exec(stanza)?.[1]?.split(/\s+/) ?? []).includes('deb');
    const enabled = !/^Enabled:\s*no\s*$/im.test(stanza);
    if (uris && binary && enabled && suites.includes(suite)) return uris;
  }
  for (const line of sources.split('\n')) {
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)(?:\s|$)/.exec(line.trim());
    if (match?.[1] && match[2] === suite) return match[1];
  }
  return undefined;
}

/** The mirror this machine's apt uses (DEBIAN_MIRROR overrides it), else Debian's own redirector. */
async function aptMirror(): Promise<string> {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR;
  const files = ['/etc/apt/sources.list'];
  try {
    const dir = '/etc/apt/sources.list.d';
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(join(dir, name));
    }
  } catch {
    // no sources.list.d
  }
  for (const file of files) {
    const mirror = mirrorIn(await readFile(file, 'utf8').catch(() => ''));
    if (mirror) return mirror;
  }
  return FALLBACK_MIRROR;
}

/** Makes the tarball unless it is cached; returns whether it had to be made. */
export async function ensureRootfs(): Promise<boolean> {
  try {
    await access(rootfsTarball);
    return false;
  } catch {
    // not cached yet
  }
  await mkdir(rootfsDir, { recursive: true });
  const tree = join(rootfsDir, `${SUITE}-minbase.tree`);
  const partial = `${rootfsTarball}.partial`;
  await rm(tree, { recursive: true, force: true });
  const mirror = await aptMirror();
  await run('debootstrap', ['--variant=minbase', SUITE, tree, mirror], { timeoutMs: 30 * 60_000 });
  // The downloaded packages and package lists are debootstrap's leftovers, not part of an image's root.
  for (const leftovers of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    for (const name of await readdir(join(tree, leftovers))) {
      if (name !== 'partial' && name !== 'lock') await rm(join(tree, leftovers, name), { force: true });
    }
  }
  await run('tar', ['--numeric-owner', '-C', tree, '-cf', partial, '.']);
  await rename(partial, rootfsTarball);
  await rm(tree, { recursive: true, force: true });
  return true;
}
