// A service's real entry point (src/server.ts) as a child process, the way `pnpm --filter <service> start` runs
// it, for the tests that kill it (SIGKILL, SIGTERM) or need its exit code. The variables that configure a
// service are not inherited from the test run (a developer's DATABASE_URL must not leak in): the process sees
// only those the test gives, on top of PATH and the like.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const CONFIGURATION = /^(PORT|HOST|INTERNAL_TOKEN|LOGZIO_TOKEN|LOG_LEVEL|DB_POOL_SIZE|.*DATABASE_URL)$/;

export interface ServiceProcess {
  child: ChildProcess;
  /** The exit code once the process has exited (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** The JSON log lines written so far whose message is `message`. */
  logged: (message: string) => Record<string, unknown>[];
  /** Resolves once `url` answers 200; rejects if the process exits first or `timeoutMs` passes. */
  ready: (url: string, timeoutMs?: number) => Promise<void>;
}

export interface ServiceProcessOptions {
  /** The service's folder: the one holding src/server.ts. */
  serviceDir: string;
  env: Record<string, string>;
  args?: string[];
}

export function startServiceProcess({ serviceDir, env, args = [] }: ServiceProcessOptions): ServiceProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !CONFIGURATION.test(name)),
  );
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), 'src/server.ts', ...args], {
    cwd: serviceDir,
    env: { ...inherited, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  return {
    child,
    exited,
    output: () => output,
    logged: (message) =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.message === message),
    async ready(url, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!hasExited && Date.now() < deadline) {
        const response = await fetch(url).catch(() => null);
        await response?.arrayBuffer();
        if (response?.status === 200) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`${url} never became ready${hasExited ? ' (the process exited)' : ''}:\n${output}`);
    },
  };
}
