// The command line: nothing (serve, with passes on a schedule) or `--once` (one pass, then exit).
// `pnpm --filter the-wolf start -- --once` hands the script a `--` first, which is dropped. Anything else stops
// the process with a usage line, so a typo such as `--onse` never starts the long-running service instead.
import { parseArgs } from 'node:util';

export interface Arguments {
  once: boolean;
}

export const USAGE = 'usage: node --import tsx src/server.ts [--once]';

export function parseArgumentsOrExit(argv: string[]): Arguments {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  try {
    const { values } = parseArgs({ args, options: { once: { type: 'boolean', default: false } } });
    return { once: values.once };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(1);
  }
}
