// The hostile-client suite (issue 15): the real stack, started by start-services.sh as `pnpm start` does, against
// the test run's PostgreSQL, with the kit's slow-client bounds cut to a second so the suite runs in well under two
// minutes. Against each public port — cache proxy, balancer, a blob node, user service, increments, analytics,
// the wolf — it sends trickled headers (slowloris), a body that stops half-way, a request whose answer is never
// read, 1,000 connections that send nothing, an `Expect: 100-continue` upload refused for its Content-Length,
// and 2,000 header fields. After each, once the bound has passed, every service answers normal requests (a blob
// written and read back through the cache proxy) and holds no more open files and memory than it did before the
// first, within the tolerances below.
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@backend-rebase/db/testing';
import {
  eventually,
  manyHeaders,
  neverReads,
  openFileCount,
  openFilesUnder,
  pidListeningOn,
  requestHead,
  residentBytes,
  serverClosed,
  silentConnections,
  statusLines,
  stopsHalfway,
  trickleHeaders,
} from '@backend-rebase/service-kit/testing';
import { freePort, RunningStack } from './run-stack.js';

/** The bounds the stack runs with here (HTTP_* settings of every service). */
const BOUNDS = {
  HTTP_IDLE_TIMEOUT: '1s',
  HTTP_HEADERS_TIMEOUT: '1s',
  HTTP_REQUEST_TIMEOUT: '5s',
};
/** Open files a service may hold beyond its starting count: pooled connections between services come and go. */
const FILE_TOLERANCE = 16;
/** Memory a service may hold beyond its starting RSS: heaps grow and V8 does not hand pages back at once. */
const RSS_TOLERANCE = 32 * 1024 * 1024;
/** A blob larger than the socket buffers between a stalled client and the node (MAX_LENGTH is raised for it). */
const LARGE = 32 * 1024 * 1024;
const WAIT = { timeoutMs: 15_000, everyMs: 100 };

interface Target {
  name: string;
  port: number;
  pid: number;
  /** an upload: method and path of a route that reads a body, and its content type */
  upload: { method: 'PUT' | 'POST'; path: string; type: string };
  /** a GET whose answer the suite never reads */
  largeRead: string;
  /** what the upload refused for its Content-Length answers */
  refusal: number;
  baseline: { files: number; rss: number };
  /** a blob node's data folder: none of its files may stay open once a case is over */
  dataDir?: string;
}

// Databases of this file's own: the stack never touches the server's shared `users` and `analytics`.
let usersDatabase: TestDatabase;
let analyticsDatabase: TestDatabase;
let dataRoot: string;
let stack: RunningStack;
let targets: Target[] = [];
let cacheProxyPort = 0;
let normals = 0;

async function plainGet(port: number, pathname: string): Promise<{ status: number; bytes: number }> {
  // agent: false closes the connection after the answer, so the suite leaves no kept-alive socket behind.
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path: pathname, agent: false }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function plainPut(port: number, pathname: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: 'PUT',
        agent: false,
        headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function usage(pid: number): Promise<{ files: number; rss: number }> {
  return { files: await openFileCount(pid), rss: await residentBytes(pid) };
}

/** Every service answers a normal request, and is back within its tolerances of where it started. */
async function expectRecovered(): Promise<void> {
  for (const target of targets) {
    expect((await plainGet(target.port, '/health')).status, `${target.name} /health`).toBe(200);
  }
  normals += 1;
  const blob = Buffer.from(`a normal blob, number ${normals}`);
  expect(await plainPut(cacheProxyPort, `/blobs/hostile-normal-${normals}`, blob)).toBe(201);
  expect(await plainGet(cacheProxyPort, `/blobs/hostile-normal-${normals}`)).toEqual({
    status: 200,
    bytes: blob.length,
  });
  for (const target of targets) {
    if (target.dataDir !== undefined) {
      await eventually(
        `${target.name} holds no file of its data folder open`,
        () => openFilesUnder(target.dataDir!, target.pid),
        (open) => open.length === 0,
        WAIT,
      );
    }
    await eventually(
      `${target.name} holds at most ${FILE_TOLERANCE} more open files than its ${target.baseline.files}`,
      () => openFileCount(target.pid),
      (files) => files <= target.baseline.files + FILE_TOLERANCE,
      WAIT,
    );
    const rss = await residentBytes(target.pid);
    expect(rss, `${target.name} RSS ${rss} against ${target.baseline.rss} at the start`).toBeLessThanOrEqual(
      target.baseline.rss + RSS_TOLERANCE,
    );
  }
}

/** Where each service ended against where it started, and whatever a service that died said, for the log. */
async function report(): Promise<void> {
  const rows = await Promise.all(
    targets.map(async (target) => {
      const now = await usage(target.pid).catch(() => undefined);
      const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      return now
        ? `${target.name}: open files ${target.baseline.files} -> ${now.files}, RSS ${mib(target.baseline.rss)} -> ${mib(now.rss)} MiB`
        : `${target.name}: gone`;
    }),
  );
  const deaths = stack.output.split('\n').filter((line) => line.includes('exited with code'));
  process.stdout.write(`[hostile-clients]\n${[...rows, ...deaths].join('\n')}\n`);
}

beforeAll(async () => {
  usersDatabase = await createTestDatabase('hostile_users');
  analyticsDatabase = await createTestDatabase('hostile_analytics');
  dataRoot = await mkdtemp(path.join(os.tmpdir(), 'hostile-stack-'));
  const ports = {
    LOAD_BALANCER_PORT: await freePort(),
    CACHE_PROXY_PORT: await freePort(),
    USER_SERVICE_PORT: await freePort(),
    INCREMENTS_SERVICE_PORT: await freePort(),
    ANALYTICS_SERVICE_PORT: await freePort(),
    WOLF_PORT: await freePort(),
  };
  const blobPorts = [await freePort(), await freePort(), await freePort()];
  stack = new RunningStack({
    STACK_ROOT: undefined, // the repository's own services
    STACK_DATA_DIR: path.join(dataRoot, 'data'),
    STACK_LOG_DIR: path.join(dataRoot, 'logs'),
    DATABASE_URL: usersDatabase.serverUrl,
    USERS_DATABASE_URL: usersDatabase.url,
    ANALYTICS_DATABASE_URL: analyticsDatabase.url,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    BLOB_SERVER_PORTS: blobPorts.join(','),
    LOG_LEVEL: 'warn',
    MAX_LENGTH: '40MiB',
    ...BOUNDS,
  });
  await stack.waitFor('[stack] ready', 120_000);
  cacheProxyPort = ports.CACHE_PROXY_PORT;

  // The large blob, written through the stack; "a blob node" is one that holds a copy.
  expect(await plainPut(ports.LOAD_BALANCER_PORT, '/blobs/hostile-large', Buffer.alloc(LARGE, 7))).toBe(201);
  const ring = (await (
    await fetch(`http://127.0.0.1:${ports.LOAD_BALANCER_PORT}/internal/ring/hostile-large`)
  ).json()) as { nodes: string[] };
  const owner = ring.nodes[0]!;
  const ownerPort = blobPorts[Number(owner.replace('blob-', '')) - 1]!;

  const blobs = { method: 'PUT', path: '/blobs/hostile-upload', type: 'application/octet-stream' } as const;
  const json = (method: 'PUT' | 'POST', pathname: string) =>
    ({ method, path: pathname, type: 'application/json' }) as const;
  const planned: Array<Omit<Target, 'pid' | 'baseline'>> = [
    {
      name: 'cache-proxy',
      port: ports.CACHE_PROXY_PORT,
      upload: blobs,
      largeRead: '/blobs/hostile-large',
      refusal: 413,
    },
    {
      name: 'load-balancer',
      port: ports.LOAD_BALANCER_PORT,
      upload: blobs,
      largeRead: '/blobs/hostile-large',
      refusal: 413,
    },
    {
      name: owner,
      port: ownerPort,
      upload: blobs,
      largeRead: '/blobs/hostile-large',
      refusal: 413,
      dataDir: path.join(dataRoot, 'data', 'blobs', owner),
    },
    {
      name: 'user-service',
      port: ports.USER_SERVICE_PORT,
      upload: json('POST', '/users'),
      largeRead: '/docs/json',
      refusal: 413,
    },
    {
      name: 'increments-service',
      port: ports.INCREMENTS_SERVICE_PORT,
      upload: json('POST', '/page-views/single'),
      largeRead: '/docs/json',
      refusal: 413,
    },
    {
      name: 'analytics-service',
      port: ports.ANALYTICS_SERVICE_PORT,
      upload: json('POST', '/internal/refresh'),
      largeRead: '/docs/json',
      refusal: 413,
    },
    {
      name: 'the-wolf',
      port: ports.WOLF_PORT,
      upload: json('POST', '/internal/passes'),
      largeRead: '/docs/json',
      refusal: 413,
    },
  ];
  targets = [];
  for (const target of planned) {
    const pid = await pidListeningOn(target.port);
    if (pid === undefined) throw new Error(`nothing listens on ${target.name}'s port ${target.port}`);
    // Warm up: the routes compiled, the pools connected, before the starting point is taken.
    await plainGet(target.port, '/health');
    await plainGet(target.port, target.largeRead);
    targets.push({ ...target, pid, baseline: { files: 0, rss: 0 } });
  }
  await plainGet(cacheProxyPort, '/blobs/hostile-large');
  for (const target of targets) target.baseline = await usage(target.pid);
}, 180_000);

afterAll(async () => {
  if (stack) {
    await report();
    stack.interrupt();
    await Promise.race([stack.exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    stack.kill();
  }
  await rm(dataRoot, { recursive: true, force: true });
  await usersDatabase?.drop();
  await analyticsDatabase?.drop();
}, 60_000);

describe.sequential('hostile clients against every public port of the stack', () => {
  it('slowloris: trickled headers get a 408 once the headers bound has passed', async () => {
    const answers = await Promise.all(
      targets.map(async (target) => {
        const client = await trickleHeaders(target.port, 100);
        await client.closed;
        return `${target.name}: ${client.received().split('\r\n')[0]}`;
      }),
    );
    expect(answers).toEqual(targets.map((target) => `${target.name}: HTTP/1.1 408 Request Timeout`));
    await expectRecovered();
  });

  it('a body that stops half-way is dropped after the idle bound, and nothing is stored', async () => {
    await Promise.all(
      targets.map(async (target) => {
        const client = await stopsHalfway(
          target.port,
          target.upload.path,
          1024 * 1024,
          10_000,
          { 'content-type': target.upload.type },
          target.upload.method,
        );
        await client.closed;
      }),
    );
    expect((await plainGet(cacheProxyPort, '/blobs/hostile-upload')).status).toBe(404);
    await expectRecovered();
  });

  it('a reader that never reads holds its connection only until the idle bound', async () => {
    const clients = await Promise.all(
      targets.map(async (target) => ({
        target,
        client: await neverReads(target.port, target.largeRead, { connection: 'close' }),
      })),
    );
    await Promise.all(
      clients.map(({ target, client }) =>
        eventually(
          `${target.name} closed the stalled connection`,
          () => serverClosed(target.port, client),
          Boolean,
          WAIT,
        ),
      ),
    );
    for (const { client } of clients) client.socket.destroy();
    await expectRecovered();
  });

  it('1,000 connections that send nothing are closed after the idle bound', async () => {
    for (const target of targets) {
      const connections = await silentConnections(target.port, 1_000);
      await Promise.all(connections.map((connection) => connection.closed));
      // Closed without a word, or with a 408 when Node's request check saw the connection first.
      const answers = new Set(connections.map((connection) => connection.received().split('\r\n')[0]));
      expect(
        [...answers].filter((answer) => answer !== '' && answer !== 'HTTP/1.1 408 Request Timeout'),
      ).toEqual([]);
    }
    await expectRecovered();
  });

  it('an upload refused for its Content-Length after `Expect: 100-continue` gets its refusal, not a 100 and a wait', async () => {
    const answers = await Promise.all(
      targets.map(async (target) => {
        const { lines, connection } = await statusLines(
          target.port,
          requestHead(target.upload.method, target.upload.path, {
            'content-type': target.upload.type,
            'content-length': String(10 * 1024 * 1024 * 1024),
            expect: '100-continue',
          }),
        );
        connection.socket.destroy();
        const final = lines.filter((line) => !line.startsWith('HTTP/1.1 1'));
        return `${target.name}: ${final.length > 0 ? final.join(', ') : `closed after ${JSON.stringify(lines)}`}`;
      }),
    );
    expect(answers).toEqual(
      targets.map((target) => `${target.name}: HTTP/1.1 ${target.refusal} Payload Too Large`),
    );
    await expectRecovered();
  });

  it('2,000 header fields are refused with a 431', async () => {
    const answers = await Promise.all(
      targets.map(async (target) => `${target.name}: ${await manyHeaders(target.port, 2_000)}`),
    );
    expect(answers).toEqual(
      targets.map((target) => `${target.name}: HTTP/1.1 431 Request Header Fields Too Large`),
    );
    await expectRecovered();
  });
});
