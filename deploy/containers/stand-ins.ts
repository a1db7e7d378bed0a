// The stack's base images in the private daemon, under their official names. ensureImage() keeps an image that
// is there, pulls one that is not, and when no registry answers (as on machines without Docker Hub) builds a
// stand-in under the same name from the cached debootstrap root file system: node:<major>[-bookworm][-slim] from
// the host's own Node (which must be that major) and npm, postgres:<major> from Debian's PostgreSQL of that
// major (stand-ins/*/). Guarantees: a stand-in is rebuilt when what it is made of changes (its files, the host's
// Node, npm and CA bundle, the root file system image) and reused otherwise; an image that can be neither pulled
// nor stood in for stops the test with its name.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache.js';
import { run, succeeds, which } from './commands.js';
import { ensureRootfs, rootfsTarball, SUITE } from './rootfs.js';

type Env = Record<string, string>;

const standInsDir = fileURLToPath(new URL('./stand-ins/', import.meta.url));
const BASE_IMAGE = `backend-rebase/debian:${SUITE}-minbase`;
const LABEL = 'org.backend-rebase.stand-in';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const PULL_TIMEOUT_MS = 120_000;
/** Debian bookworm's PostgreSQL; other majors have no Debian package to stand in with. */
const DEBIAN_POSTGRES_MAJORS = ['15'];

export type ImageOutcome = 'present' | 'pulled' | 'stand-in built' | 'stand-in rebuilt';

interface StandIn {
  kind: 'node' | 'postgres';
  major: string;
}

export function standInFor(image: string): StandIn | undefined {
  const node = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)(?:\.\d+)*(?:-bookworm)?(?:-slim)?$/.exec(image);
  if (node?.[1]) return { kind: 'node', major: node[1] };
  const postgres = /^(?:docker\.io\/)?(?:library\/)?postgres:(\d+)(?:\.\d+)?(?:-bookworm)?$/.exec(image);
  if (postgres?.[1]) return { kind: 'postgres', major: postgres[1] };
  return undefined;
}

async function imageLabel(image: string, env: Env): Promise<string | undefined | null> {
  try {
    const { stdout } = await run(
      'docker',
      ['image', 'inspect', '--format', `{{ index .Config.Labels "${LABEL}" }}`, image],
      { env },
    );
    const label = stdout.trim();
    return label === '' || label === '<no value>' ? undefined : label;
  } catch {
    return null; // no such image
  }
}

async function ensureBaseImage(env: Env): Promise<string> {
  if (!(await succeeds('docker', ['image', 'inspect', BASE_IMAGE], { env }))) {
    await ensureRootfs();
    await run('docker', ['import', rootfsTarball, BASE_IMAGE], { env });
  }
  const { stdout } = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', BASE_IMAGE], { env });
  return stdout.trim();
}

/** What a stand-in is made of, beside its folder's files: the build context's other parts and build args. */
interface Recipe {
  extraFiles: Array<{ from: string; to: string }>;
  writtenFiles: Array<{ to: string; content: Buffer }>;
  buildArgs: Record<string, string>;
  /** Facts that change the image although no file above says so (the host's versions). */
  facts: string[];
}

async function nodeRecipe(major: string): Promise<Recipe> {
  const hostMajor = process.versions.node.split('.')[0];
  if (hostMajor !== major) {
    throw new Error(
      `the stand-in for node:${major} uses this machine's Node, which is ${process.version}: run the test ` +
        `with Node ${major}, or on a machine that can pull the official image`,
    );
  }
  const npmCli = await which('npm');
  if (!npmCli) throw new Error('the stand-in node image needs the host npm, and npm is not on PATH');
  // npm's bin/npm is a link to <prefix>/lib/node_modules/npm/bin/npm-cli.js
  const npmDir = dirname(dirname(await realpath(npmCli)));
  const npmVersion = (JSON.parse(await readFile(join(npmDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const caBundle = await readFile(HOST_CA_BUNDLE).catch(() => Buffer.alloc(0));
  return {
    extraFiles: [
      { from: await realpath(process.execPath), to: 'node' },
      { from: npmDir, to: 'npm' },
    ],
    // Empty where the host has no bundle: Node then keeps to its built-in CAs, as in the official image.
    writtenFiles: [{ to: 'host-ca-certificates.crt', content: caBundle }],
    buildArgs: { NODE_VERSION: process.versions.node },
    facts: [
      `node ${process.version}`,
      `npm ${npmVersion}`,
      `ca ${createHash('sha256').update(caBundle).digest('hex')}`,
    ],
  };
}

function postgresRecipe(major: string): Recipe {
  if (!DEBIAN_POSTGRES_MAJORS.includes(major)) {
    throw new Error(
      `postgres:${major} cannot be pulled here, and Debian ${SUITE} has PostgreSQL ` +
        `${DEBIAN_POSTGRES_MAJORS.join(', ')} only to stand in for it`,
    );
  }
  return { extraFiles: [], writtenFiles: [], buildArgs: { PG_MAJOR: major }, facts: [] };
}

async function inputsHash(folder: string, recipe: Recipe, baseId: string): Promise<string> {
  const hash = createHash('sha256').update(baseId);
  for (const name of ['Dockerfile', 'docker-entrypoint.sh']) hash.update(await readFile(join(folder, name)));
  for (const fact of recipe.facts) hash.update(fact);
  for (const [key, value] of Object.entries(recipe.buildArgs)) hash.update(`${key}=${value}`);
  return hash.digest('hex').slice(0, 16);
}

async function pulled(image: string, env: Env): Promise<boolean> {
  return succeeds('docker', ['pull', '-q', image], { env, timeoutMs: PULL_TIMEOUT_MS });
}

async function buildStandIn(
  image: string,
  kind: StandIn['kind'],
  recipe: Recipe,
  env: Env,
  baseId: string,
  hash: string,
) {
  const context = await mkdtemp(join(cacheDir, 'stand-in-'));
  try {
    await cp(join(standInsDir, kind), context, { recursive: true });
    for (const file of recipe.extraFiles) await cp(file.from, join(context, file.to), { recursive: true });
    for (const file of recipe.writtenFiles) await writeFile(join(context, file.to), file.content);
    const buildArgs = Object.entries({ BASE: baseId, ...recipe.buildArgs }).flatMap(([key, value]) => [
      '--build-arg',
      `${key}=${value}`,
    ]);
    await run('docker', ['build', '--label', `${LABEL}=${hash}`, ...buildArgs, '-t', image, context], {
      env: { ...env, DOCKER_BUILDKIT: '0' },
    });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

export async function ensureImage(image: string, env: Env): Promise<ImageOutcome> {
  const label = await imageLabel(image, env);
  if (label === undefined) return 'present'; // the official image, or one the user made
  if (label === null && (await pulled(image, env))) return 'pulled';
  const standIn = standInFor(image);
  if (!standIn) throw new Error(`${image} cannot be pulled here, and the test has no stand-in for it`);
  const baseId = await ensureBaseImage(env);
  const recipe = standIn.kind === 'node' ? await nodeRecipe(standIn.major) : postgresRecipe(standIn.major);
  const hash = await inputsHash(join(standInsDir, standIn.kind), recipe, baseId);
  if (label === hash) return 'present';
  await buildStandIn(image, standIn.kind, recipe, env, baseId, hash);
  return label === null ? 'stand-in built' : 'stand-in rebuilt';
}
