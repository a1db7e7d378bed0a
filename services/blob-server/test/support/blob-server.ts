// Real blob servers for the tests: one in this process on a real port (startBlobServer), or one in a child
// process that can be killed with SIGKILL (spawnBlobServer); plus a raw HTTP client for requests fetch will not
// send (unnormalized paths, bodies cut short, chunked uploads).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterAll } from 'vitest';
import type { Clock, Service } from '@backend-rebase/service-kit';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { testConfig } from '../../src/testing.js';

export const SERVICE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function scratchDir(label: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `blob-server-${label}-`));
}

export interface RunningBlobServer {
  url: string;
  port: number;
  dataDir: string;
  app: Service;
  logLines: () => Record<string, unknown>[];
  /** stops the server; the data stays for a restart */
  close(): Promise<void>;
}

export async function startBlobServer(
  dataDir: string,
  overrides: Partial<Config> = {},
  now?: Clock,
): Promise<RunningBlobServer> {
  const { logger, lines } = captureLogger('blob-server');
  const app = await buildApp(testConfig(dataDir, overrides), { logger, now });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, port, dataDir, app, logLines: lines, close: () => app.close() };
}

/** Files left in DATA_DIR/tmp: in-flight or abandoned uploads. */
export async function tempFiles(dataDir: string): Promise<string[]> {
  return readdir(path.join(dataDir, 'tmp')).catch(() => []);
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** For a test file: a maker of scratch data folders, every one of them removed after the file's tests. */
export function scratchDirsOfThisFile(): (label: string) => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map(removeDir));
  });
  return async (label) => {
    const dir = await scratchDir(label);
    dirs.push(dir);
    return dir;
  };
}

/**
 * The offset of the first byte where `actual` and `expected` differ, or -1 when they are equal. For large bodies,
 * `expect(firstDifference(a, b)).toBe(-1)`: toEqual compares a Buffer element by element, about a second per
 * 300 KB, where this is one memcmp, and a failure still says where the bytes part.
 */
export function firstDifference(actual: Uint8Array, expected: Uint8Array): number {
  if (Buffer.compare(actual, expected) === 0) return -1;
  const length = Math.min(actual.length, expected.length);
  for (let offset = 0; offset < length; offset += 1) if (actual[offset] !== expected[offset]) return offset;
  return length; // one is a prefix of the other
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, CRLF-separated, without the blank line) and then `body` bytes over a
 * fresh connection. With `endAfterBody: false` the socket stays open after the body (a client that promised
 * more); `destroyAfterBody` drops the connection abruptly instead of reading a response.
 */
export async function rawRequest(
  port: number,
  head: string,
  body: Buffer | string = '',
  { destroyAfterBody = false }: { destroyAfterBody?: boolean } = {},
): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponse(received, head.startsWith('HEAD '));
      if (parsed) {
        socket.destroy();
        resolve(parsed);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(parseResponse(received, head.startsWith('HEAD '))));
    socket.write(`${head}\r\n\r\n`);
    socket.write(body, () => {
      if (destroyAfterBody) socket.resetAndDestroy();
    });
  });
}

function parseResponse(bytes: Buffer, headRequest: boolean): RawResponse | undefined {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(end + 4);
  const length = headRequest ? 0 : Number(headers['content-length'] ?? 0);
  if (body.length < length) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.slice(0, length) };
}

export interface SpawnedBlobServer {
  url: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The real entry point in a child process, ready once it listens. */
export async function spawnBlobServer(env: Record<string, string>): Promise<SpawnedBlobServer> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), 'src/server.ts'], {
    cwd: SERVICE_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', NODE_NAME: 'test-node', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the blob server exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`the blob server did not become ready: ${output}`);
    const ready = await fetch(`${url}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, process: child, output: () => output, exited };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
