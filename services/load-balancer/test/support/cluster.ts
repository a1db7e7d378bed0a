// A cluster for the tests: the balancer in this process on a real port (startBalancer), real blob servers as
// child processes that register themselves the way `pnpm start` runs them (spawnBlobNode, killable with
// SIGKILL), and a stand-in node that records what reaches it (startRecordingNode).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureLogger } from '@backend-rebase/logger/testing';
import type { Clock, Service } from '@backend-rebase/service-kit';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

const BLOB_SERVER_ROOT = fileURLToPath(new URL('../../../blob-server', import.meta.url));

/** The defaults, with quick health checks, no start delay and a fixed balancer id. */
export const TEST_CONFIG: Config = loadConfig({
  env: {
    BALANCER_ID: '0',
    REBALANCE_START_DELAY_MS: '0',
    HEALTH_INTERVAL_MS: '100',
    HEALTH_TIMEOUT_MS: '500',
    UPSTREAM_TIMEOUT_MS: '5000',
    UPSTREAM_CONNECTIONS: '16',
  },
  dotenvPath: '/nonexistent/.env',
});

export interface RunningBalancer {
  url: string;
  port: number;
  app: Service;
  logLines: () => Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startBalancer(overrides: Partial<Config> = {}, now?: Clock): Promise<RunningBalancer> {
  const { logger, lines } = captureLogger('load-balancer');
  const app = await buildApp({ ...TEST_CONFIG, ...overrides }, { logger, now });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, app, logLines: lines, close: () => app.close() };
}

export interface BlobNode {
  name: string;
  url: string;
  port: number;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A free port on the loopback interface (free when asked; good enough for a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function scratchDir(label: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `load-balancer-${label}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface SpawnOptions {
  /** the port to listen on (a restart on the same address); default a free one */
  port?: number;
  /** more environment for the node, over the defaults below */
  env?: Record<string, string>;
}

/**
 * The blob server's real entry point, registering itself with `loadBalancerUrl` and announcing itself every
 * 500 ms (so a restarted balancer knows it again quickly); resolves once it listens. Its data lives in
 * `<dataDir>/<name>`, so spawning the same name again is a restart with the same blobs.
 */
export async function spawnBlobNode(
  name: string,
  loadBalancerUrl: string,
  dataDir: string,
  options: SpawnOptions = {},
): Promise<BlobNode> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), 'src/server.ts'], {
    cwd: BLOB_SERVER_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_NAME: name,
      DATA_DIR: path.join(dataDir, name),
      FSYNC: 'false',
      LOAD_BALANCER_URL: loadBalancerUrl,
      ADVERTISED_HOST: '127.0.0.1',
      HEARTBEAT_INTERVAL_MS: '500',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const node: BlobNode = {
    name,
    url,
    port,
    process: child,
    output: () => output,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + 60_000; // generous: a busy 2-core machine starts tsx slowly
  for (;;) {
    if (child.exitCode !== null) throw new Error(`blob server ${name} exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`blob server ${name} did not become ready: ${output}`);
    const ready = await fetch(`${url}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return node;
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export interface NodeView {
  name: string;
  host: string;
  port: number;
  status: 'healthy' | 'unhealthy';
  registeredAt: string;
  lastCheckAt: string | null;
  bootId: string | null;
  draining: boolean;
  inSync: boolean;
}

export async function listNodes(balancerUrl: string): Promise<NodeView[]> {
  const response = await fetch(`${balancerUrl}/internal/nodes`);
  return ((await response.json()) as { data: NodeView[] }).data;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** bytes received so far */
  received: number;
}

export interface RecordingNode {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** resolves when a request to `url` has delivered at least `bytes` bytes of body */
  bodyArrived(bytes: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A stand-in blob server: answers /health, and answers every other request with 200 and the request it saw as
 * JSON, after reading its whole body. It sends hop-by-hop headers of its own, which must not reach the client.
 */
export async function startRecordingNode(): Promise<RecordingNode> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ bytes: number; resolve: () => void }> = [];
  const server: Server = createServer((request, response) => {
    if (request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
      return;
    }
    const seen: RecordedRequest = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      received: 0,
    };
    requests.push(seen);
    request.on('data', (chunk: Buffer) => {
      seen.received += chunk.length;
      for (const waiter of waiters.filter((w) => seen.received >= w.bytes)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
    request.on('end', () => {
      const body = JSON.stringify(seen);
      response
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'keep-alive': 'timeout=5',
          'x-rebase-echo': 'yes',
          'x-private': 'named-in-connection',
          connection: 'keep-alive, x-private',
        })
        .end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    bodyArrived: (bytes) =>
      new Promise((resolve) => {
        if (requests.some((r) => r.received >= bytes)) resolve();
        else waiters.push({ bytes, resolve });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POST /internal/nodes with a JSON body. */
export async function register(
  balancerUrl: string,
  name: string,
  host: string,
  port: number,
): Promise<Response> {
  return fetch(`${balancerUrl}/internal/nodes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, destination: { host, port } }),
  });
}
