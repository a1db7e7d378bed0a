// Checks that a `pnpm deploy` folder can run a bundle: every package the bundle imports (its externals.json, written
// by bundle.ts) is in the folder's top-level node_modules, in the version the bundle was built against. A bundle
// moves the workspace packages' code into the service's own file, so their imports resolve from the service's
// node_modules: this is what makes sure they find the same packages there. Exits 1 naming each one missing or
// different.
// Usage: node --import tsx deploy/build/verify-deploy.ts <externals.json> <deploy folder>
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [externalsFile, deployDir] = process.argv.slice(2);
if (!externalsFile || !deployDir) {
  process.stderr.write('usage: verify-deploy.ts <externals.json> <deploy folder>\n');
  process.exit(2);
}

const wanted = JSON.parse(readFileSync(externalsFile, 'utf8')) as Record<string, string>;
const problems: string[] = [];
for (const [name, version] of Object.entries(wanted)) {
  const manifest = path.join(deployDir, 'node_modules', name, 'package.json');
  if (!existsSync(manifest)) {
    problems.push(`${name} is not in ${path.join(deployDir, 'node_modules')}`);
    continue;
  }
  const found = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  if (found !== version) problems.push(`${name} is ${found} there, the bundle was built against ${version}`);
}
if (problems.length > 0) {
  process.stderr.write(`${deployDir} cannot run its bundle:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
const count = Object.keys(wanted).length;
process.stdout.write(
  `${deployDir}: the ${count} package${count === 1 ? '' : 's'} its bundle imports are there\n`,
);
