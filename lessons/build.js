// Compiles a lesson to plain JavaScript in lessons/<lesson>/dist, so that `pnpm lesson:*` runs it with bare
// `node`: no TypeScript loader in the process, nor in each of its worker threads (on Node 20 tsx's loader is a
// second V8 isolate of tens of MiB, which the memory bounds the lessons promise would otherwise have to carry).
//
//   node lessons/build.js LESSON…    (no LESSON: every lesson)
//
// It is plain JavaScript because it is what makes plain `node` able to run the lessons. Each file is transpiled
// on its own (the sources are written for that: isolatedModules, verbatimModuleSyntax), like tsx does; the
// types are checked by `pnpm typecheck`, not here.
//
// The workspace packages a lesson depends on (`workspace:` entries of its package.json `dependencies`) export
// TypeScript sources, so they are compiled too, into dist/node_modules/@backend-rebase/<name>: Node looks there
// first when dist/*.js imports them, and finds the other dependencies (cli-progress…) in the lesson's own
// node_modules further up.
//
// A lesson is rebuilt only when one of its inputs is newer than its last build, so every run of `pnpm lesson:*`
// can call this first, and an edited source never runs stale. A build goes to a fresh folder that replaces dist
// whole, so a run never sees half of one.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const lessonsDir = dirname(fileURLToPath(import.meta.url));
const rootDir = dirname(lessonsDir);
const STAMP = '.built';

/** @typedef {{ dependencies?: Record<string, string>, exports?: unknown }} PackageJson */
/** @typedef {{ name: string, dir: string, manifest: PackageJson }} WorkspacePackage */

/** @param {string} file @returns {Promise<PackageJson>} */
async function readManifest(file) {
  return /** @type {PackageJson} */ (JSON.parse(await readFile(file, 'utf8')));
}

/**
 * The .ts files under `dir`, and the folders (whose times change when a file is added, removed or renamed).
 * @param {string} dir @returns {Promise<{ files: string[], folders: string[] }>}
 */
async function sourceTree(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const path = (/** @type {import('node:fs').Dirent} */ entry) => join(entry.parentPath, entry.name);
  return {
    files: entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map(path),
    folders: [dir, ...entries.filter((entry) => entry.isDirectory()).map(path)],
  };
}

/**
 * The workspace packages `manifest` depends on, and theirs, each once. A third-party dependency of one of them
 * would not resolve from dist/node_modules, so it is refused rather than left to fail at run time.
 * @param {PackageJson} manifest @param {Map<string, WorkspacePackage>} found @param {boolean} isLesson
 */
async function workspaceDependencies(manifest, found = new Map(), isLesson = true) {
  for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
    if (!version.startsWith('workspace:')) {
      if (isLesson) continue;
      throw new Error(`${name}, a dependency of a workspace package, is not one the lesson build can place`);
    }
    if (found.has(name)) continue;
    const dir = join(rootDir, 'packages', name.replace('@backend-rebase/', ''));
    const dependency = { name, dir, manifest: await readManifest(join(dir, 'package.json')) };
    found.set(name, dependency);
    await workspaceDependencies(dependency.manifest, found, false);
  }
  return [...found.values()];
}

/** `./src/x.ts` → `./src/x.js`, in a package.json `exports` value of any shape. @param {unknown} value @returns {unknown} */
function compiledExports(value) {
  if (typeof value === 'string') return value.replace(/\.ts$/, '.js');
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, compiledExports(inner)]));
}

/** The newest modification time among `files`, in ms. @param {string[]} files */
async function newestMtime(files) {
  const times = await Promise.all(files.map(async (file) => (await stat(file)).mtimeMs));
  return Math.max(...times);
}

/**
 * Builds lessons/<lesson>/dist unless it is newer than every input. Returns whether it built.
 * @param {string} lesson
 */
async function buildLesson(lesson) {
  const lessonDir = join(lessonsDir, lesson);
  const dist = join(lessonDir, 'dist');
  const manifestFile = join(lessonDir, 'package.json');
  const packages = await workspaceDependencies(await readManifest(manifestFile));
  /** @type {{ from: string, to: string }[]} */
  const sources = [];
  const inputs = [fileURLToPath(import.meta.url), manifestFile];
  const lessonTree = await sourceTree(join(lessonDir, 'src'));
  for (const file of lessonTree.files)
    sources.push({ from: file, to: relative(join(lessonDir, 'src'), file) });
  inputs.push(...lessonTree.folders);
  for (const { name, dir } of packages) {
    const tree = await sourceTree(join(dir, 'src'));
    for (const file of tree.files)
      sources.push({ from: file, to: join('node_modules', name, relative(dir, file)) });
    inputs.push(join(dir, 'package.json'), ...tree.folders);
  }
  inputs.push(...sources.map(({ from }) => from));
  const built = await stat(join(dist, STAMP)).then(
    (stamp) => stamp.mtimeMs,
    () => -Infinity,
  );
  if ((await newestMtime(inputs)) < built) return false;

  // Taken before reading the sources: a file saved during the build is newer than the stamp, and rebuilt next time.
  const started = new Date();
  const { default: ts } = await import('typescript');
  // Beside dist on the same file system (so that it can be renamed), and ignored by git and the linters.
  const staging = join(lessonDir, 'node_modules', `.dist-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const { from, to } of sources) {
    const { outputText } = ts.transpileModule(await readFile(from, 'utf8'), {
      fileName: from,
      compilerOptions: {
        target: ts.ScriptTarget.ES2023,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
      },
    });
    const out = join(staging, to.replace(/\.ts$/, '.js'));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText);
  }
  for (const { name, manifest } of packages) {
    const compiled = { name, type: 'module', exports: compiledExports(manifest.exports) };
    await writeFile(join(staging, 'node_modules', name, 'package.json'), `${JSON.stringify(compiled)}\n`);
  }
  // dist/*.js are ES modules whatever the nearest package.json says further up.
  await writeFile(join(staging, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(staging, STAMP), '');
  await utimes(join(staging, STAMP), started, started);

  await rm(dist, { recursive: true, force: true });
  try {
    await rename(staging, dist);
  } catch (error) {
    // Another build of the same sources finished first and its dist is as good as ours.
    await rm(staging, { recursive: true, force: true });
    const { code } = /** @type {NodeJS.ErrnoException} */ (error);
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  return true;
}

const named = process.argv.slice(2);
// A lesson is a folder with a package.json (lessons/testing holds the tests' shared helpers, not a lesson).
const every = (await readdir(lessonsDir, { withFileTypes: true }))
  .filter((entry) => entry.isDirectory() && existsSync(join(lessonsDir, entry.name, 'package.json')))
  .map((entry) => entry.name);
const unknown = named.filter((lesson) => !every.includes(lesson));
if (unknown.length > 0) {
  process.stderr.write(
    `build.js: no lesson named ${unknown.join(', ')}; the lessons are ${every.join(', ')}\n`,
  );
  process.exit(2);
}
for (const lesson of named.length > 0 ? named : every) {
  const started = performance.now();
  if (await buildLesson(lesson)) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`compiled lessons/${lesson} to lessons/${lesson}/dist in ${seconds} s\n`);
  }
}
