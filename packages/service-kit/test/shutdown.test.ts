import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { request } from 'undici';
import { describe, expect, it, type TestContext } from 'vitest';
import { buildApp } from './fixtures/app.js';
import { captureLogger } from '@backend-rebase/logger/testing';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const serverScript = fileURLToPath(new URL('fixtures/server.ts', import.meta.url));

/** The fixture service as a child process, with its stdout parsed back into log lines. */
class ServerProcess {
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['--import', tsx, serverScript], {
      env: { ...process.env, LOGZIO_TOKEN: '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) if (line) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }

  async waitForLine(matches: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.lines.find(matches);
      if (line) return line;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no matching log line within ${timeoutMs} ms; stderr: ${this.stderr}`);
  }

  async url(): Promise<string> {
    const line = await this.waitForLine((l) => /listening at/.test(String(l.message)));
    return /(http:\/\/\S+)/.exec(String(line.message))?.[1] ?? '';
  }
}

function tryConnect(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', () => resolve('refused'));
  });
}

/** The fixture service as a child process, killed when the test ends (cleaned up per test: they run together). */
function startServer(onTestFinished: TestContext['onTestFinished'], env?: Record<string, string>) {
  const running = new ServerProcess(env);
  onTestFinished(() => {
    running.child.kill('SIGKILL');
  });
  return running;
}

/** An HTTP server of the test's own on a free port, closed when the test ends. */
async function startSideServer(
  onTestFinished: TestContext['onTestFinished'],
  handler?: Parameters<typeof createServer>[1],
): Promise<Server> {
  const server = handler === undefined ? createServer() : createServer(handler);
  onTestFinished(() => {
    server.close();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

// Each case starts a process of its own (Node and tsx take a second or more of CPU to start) and waits on it:
// side by side, their waits overlap.
describe.concurrent('runService', () => {
  it('on SIGTERM finishes in-flight requests, refuses new connections and exits 0', async ({
    onTestFinished,
  }) => {
    const running = startServer(onTestFinished);
    const base = await running.url();
    const port = Number(new URL(base).port);

    const slow = request(`${base}/slow`);
    await running.waitForLine((l) => l.message === 'slow request started');
    running.child.kill('SIGTERM');
    await running.waitForLine((l) => l.message === 'shutting down');

    let refused = false;
    for (let attempt = 0; attempt < 50 && !refused; attempt++)
      refused = (await tryConnect(port)) === 'refused';
    expect(refused).toBe(true);

    const response = await slow;
    expect(response.statusCode).toBe(200);
    expect(response.headers.connection).toBe('close');
    expect(await response.body.json()).toEqual({ done: true });

    expect(await running.exited).toBe(0);
    const messages = running.lines.map((l) => l.message);
    expect(messages.slice(messages.indexOf('shutting down'))).toEqual([
      'shutting down',
      'request completed',
      'onShutdown hook ran',
      'shutdown complete',
    ]);
  }, 20_000);

  it('exits 1 with a clear message when the port is taken', async ({ onTestFinished }) => {
    const sideServer = await startSideServer(onTestFinished);
    const { port } = sideServer.address() as AddressInfo;

    const running = startServer(onTestFinished, { PORT: String(port) });

    expect(await running.exited).toBe(1);
    const failure = running.lines.find((line) => line.level === 'error');
    expect(failure?.message).toBe(
      `cannot listen on 127.0.0.1:${port}: port ${port} is already in use (stop the other process or choose another PORT)`,
    );
  }, 20_000);

  it('logs the configuration it listens with once, secrets redacted', async ({ onTestFinished }) => {
    const running = startServer(onTestFinished, {
      INTERNAL_TOKEN: 'hunter2',
      UPSTREAM_URL: 'http://admin:s3cret@127.0.0.1:3000/',
    });

    const line = await running.waitForLine((l) => /^listening on /.test(String(l.message)));
    expect(line.config).toEqual({
      PORT: 0,
      HOST: '127.0.0.1',
      INTERNAL_TOKEN: '[redacted]',
      UPSTREAM_URL: 'http://admin:***@127.0.0.1:3000/',
    });
    expect(JSON.stringify(running.lines)).not.toMatch(/hunter2|s3cret/);
  }, 20_000);

  it('exits 1 naming the variable when the config is invalid', async ({ onTestFinished }) => {
    const running = startServer(onTestFinished, { PORT: 'eighty' });

    expect(await running.exited).toBe(1);
    expect(running.stderr).toContain('PORT must be an integer from 0 to 65535, got "eighty"');
    expect(running.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 20_000);
});

describe('draining', () => {
  it('once shutdown has begun, /ready fails and other requests get 503 with Connection: close', async ({
    onTestFinished,
  }) => {
    const app = await buildApp({ logger: captureLogger().logger });
    await app.ready();
    // A second door into the same router, still open after app.close() has closed the app's own server.
    const sideServer = await startSideServer(onTestFinished, (req, res) => app.routing(req, res));
    const base = `http://127.0.0.1:${(sideServer.address() as AddressInfo).port}`;

    await app.close();
    const ready = await request(`${base}/ready`);
    const item = await request(`${base}/items/1`);

    expect(ready.statusCode).toBe(503);
    expect(await ready.body.json()).toEqual({
      status: 'fail',
      checks: { shutdown: { status: 'fail', detail: 'the service is shutting down' } },
    });
    expect(item.statusCode).toBe(503);
    expect(item.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(item.headers.connection).toBe('close');
    await item.body.dump();
  });
});
