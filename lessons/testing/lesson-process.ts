// How a lesson program is run as its `pnpm lesson:*` script runs it, and its memory measured: shared by the
// lessons' tests and the benchmarks; the lessons themselves never import it.
//
// A program's own `peak RSS` line (process.resourceUsage().maxRSS) is the kernel's high-water mark of its
// resident memory. On Linux a child's mark starts at what its parent held when it was forked, and a test runner is
// big, so a measured program is started by a small `sh` that forks it: then the mark is the program's own.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const rootDir = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The arguments of the node that `pnpm <script>` runs, from the root package.json: its scripts build the lesson,
 * then run `node <compiled program>`. Whatever that last command becomes, the tests run it.
 */
export function lessonCommand(script: string): string[] {
  const manifest = JSON.parse(readFileSync(`${rootDir}package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...args] = (manifest.scripts[script] ?? '').split('&&').at(-1)!.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`pnpm ${script} no longer ends with a node command`);
  return args;
}

/** `/bin/sh` and its arguments that run `node …args` as the child of a small shell (see above). */
export function forkedNode(args: string[]): [string, string[]] {
  return ['/bin/sh', ['-c', '"$@" & wait $!', 'sh', process.execPath, ...args]];
}

/** The `peak RSS: N MiB` a lesson program printed, or NaN when it printed none. */
export function reportedPeakMiB(output: string): number {
  return Number(/^peak RSS: (\d+) MiB$/m.exec(output)?.[1]);
}
