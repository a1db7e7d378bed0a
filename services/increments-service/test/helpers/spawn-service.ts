// The real entry point (src/server.ts) in a child process, so a test can kill it with SIGKILL or SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '@backend-rebase/net';

const SERVICE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnedService {
  url: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export async function spawnService(env: Record<string, string>): Promise<SpawnedService> {
  const port = await findFreePort();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), 'src/server.ts'], {
    cwd: SERVICE_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`the service did not become ready: ${output}`);
    const ready = await fetch(`${url}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, process: child, output: () => output, exited };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
