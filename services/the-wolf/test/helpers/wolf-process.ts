// src/server.ts as a real process, the way `pnpm --filter the-wolf start` runs it, with nothing inherited that
// could change its configuration: only the variables a test gives.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SERVICE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const CONFIGURATION = [
  'DATABASE_URL',
  'ANALYTICS_DATABASE_URL',
  'PORT',
  'HOST',
  'RETENTION_HOURS',
  'WOLF_BATCH_SIZE',
  'WOLF_INTERVAL_SECONDS',
  'DB_POOL_SIZE',
  'INTERNAL_TOKEN',
  'LOGZIO_TOKEN',
  'LOG_LEVEL',
];

export interface WolfProcess {
  child: ChildProcess;
  /** The exit code, once the process has exited. */
  exited: Promise<number | null>;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** The JSON log lines with this message. */
  logged: (message: string) => Record<string, unknown>[];
}

export function startWolf(args: string[], env: Record<string, string>): WolfProcess {
  const base = { ...process.env };
  for (const name of CONFIGURATION) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts', ...args], {
    cwd: SERVICE_DIR,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const logged = (message: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === message);
  return { child, exited, output: () => output, logged };
}
