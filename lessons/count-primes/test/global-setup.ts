// Compiles the lesson to dist/ (lessons/build.js) before its tests run the compiled programs, which is what
// `pnpm lesson:*` runs; a no-op when dist/ is newer than every source.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export default async function setup(): Promise<void> {
  const build = fileURLToPath(new URL('../../build.js', import.meta.url));
  await promisify(execFile)(process.execPath, [build, 'count-primes']);
}
