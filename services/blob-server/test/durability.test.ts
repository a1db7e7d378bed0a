// What survives: uploads cut short, uploads racing for the last of the quota, a restart, and kill -9 of the
// server process in the middle of streaming uploads.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '@backend-rebase/net';
import {
  rawRequest,
  spawnBlobServer,
  startBlobServer,
  tempFiles,
  type RunningBlobServer,
  scratchDirsOfThisFile,
} from './support/blob-server.js';

const newDataDir = scratchDirsOfThisFile();

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

async function bytesUsed(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^blob_bytes_used (\d+)$/m.exec(metrics)?.[1]);
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('an upload that does not finish', () => {
  let server: RunningBlobServer;

  beforeAll(async () => {
    server = await startBlobServer(await newDataDir('aborted'));
    await fetch(`${server.url}/blobs/victim`, { method: 'PUT', body: 'old version' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('stores nothing, keeps the previous version and releases its quota', async () => {
    const usedBefore = await bytesUsed(server.url);

    for (const id of ['victim', 'newcomer']) {
      await rawRequest(
        server.port,
        `PUT /blobs/${id} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000`,
        Buffer.alloc(50_000, 1),
        { destroyAfterBody: true },
      );
    }
    await eventually(async () => (await tempFiles(server.dataDir)).length === 0, 'the temp files to go');

    expect(await (await fetch(`${server.url}/blobs/victim`)).text()).toBe('old version');
    expect((await fetch(`${server.url}/blobs/newcomer`)).status).toBe(404);
    expect(await bytesUsed(server.url)).toBe(usedBefore);
    // Nothing is reserved any more: the whole quota is still there for a full-size write.
    expect((await fetch(`${server.url}/blobs/newcomer`, { method: 'PUT', body: 'now whole' })).status).toBe(
      201,
    );
  });

  it('a client that half-closes after too few bytes changes nothing', async () => {
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write('PUT /blobs/victim HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort');
    socket.end();
    await new Promise((resolve) => socket.on('close', resolve));
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    await eventually(async () => (await tempFiles(server.dataDir)).length === 0, 'the temp files to go');
    expect(await (await fetch(`${server.url}/blobs/victim`)).text()).toBe('old version');
  });
});

describe('parallel uploads racing for the quota', () => {
  it('never take usage past it, and the ones that fit succeed', async () => {
    // Each blob costs 1000 bytes (964 body + 36 of Content-Type); the quota holds 10 of them.
    const server = await startBlobServer(await newDataDir('race'), { MAX_DISK_QUOTA: 10_000 });
    try {
      const bodies = Array.from({ length: 20 }, (_, index) => Buffer.alloc(964, index));
      const statuses = await Promise.all(
        bodies.map(async (body, index) => {
          const response = await fetch(`${server.url}/blobs/race-${index}`, { method: 'PUT', body });
          await response.arrayBuffer();
          return response.status;
        }),
      );

      expect(statuses.filter((status) => status === 201)).toHaveLength(10);
      expect(statuses.filter((status) => status === 507)).toHaveLength(10);
      expect(await bytesUsed(server.url)).toBe(10_000);
      for (const [index, status] of statuses.entries()) {
        const read = await fetch(`${server.url}/blobs/race-${index}`);
        if (status === 201) expect(Buffer.from(await read.arrayBuffer())).toEqual(bodies[index]);
        else expect(read.status).toBe(404);
      }
    } finally {
      await server.close();
    }
  });
});

describe('a restart', () => {
  it('keeps every blob, its headers, the usage, the tombstones and the listing', async () => {
    const dataDir = await newDataDir('restart');
    const first = await startBlobServer(dataDir);
    for (let index = 0; index < 30; index += 1) {
      await fetch(`${first.url}/blobs/keep-${index}`, {
        method: 'PUT',
        body: `blob number ${index}`,
        headers: { 'content-type': 'text/plain', 'x-rebase-index': String(index) },
      });
    }
    await fetch(`${first.url}/blobs/keep-7`, { method: 'DELETE' });
    const listing = await (await fetch(`${first.url}/internal/blobs`)).json();
    const used = await bytesUsed(first.url);
    await first.close();

    const second = await startBlobServer(dataDir);
    try {
      expect(await (await fetch(`${second.url}/internal/blobs`)).json()).toEqual(listing);
      expect(await bytesUsed(second.url)).toBe(used);
      expect(await (await fetch(`${second.url}/metrics`)).text()).toMatch(/^blob_count 29$/m);
      const read = await fetch(`${second.url}/blobs/keep-12`);
      expect(await read.text()).toBe('blob number 12');
      expect(read.headers.get('x-rebase-index')).toBe('12');
      expect(read.headers.get('content-type')).toBe('text/plain');
      expect((await fetch(`${second.url}/blobs/keep-7`)).status).toBe(404);
    } finally {
      await second.close();
    }
  });

  it('skips files that are not whole records, logging them, and serves the rest', async () => {
    const dataDir = await newDataDir('corrupt');
    const first = await startBlobServer(dataDir);
    await fetch(`${first.url}/blobs/good`, { method: 'PUT', body: 'fine' });
    await fetch(`${first.url}/blobs/truncated`, { method: 'PUT', body: 'this record will lose its tail' });
    await first.close();
    const folderOf = (id: string) => {
      const digest = createHash('md5').update(id).digest('hex');
      return path.join(dataDir, 'blobs', digest.slice(0, 1), digest.slice(1, 3));
    };
    const truncated = path.join(folderOf('truncated'), 'truncated');
    await writeFile(truncated, (await readFile(truncated)).subarray(0, -5));
    await mkdir(folderOf('garbage'), { recursive: true });
    await writeFile(path.join(folderOf('garbage'), 'garbage'), 'not a record at all');

    const second = await startBlobServer(dataDir);
    try {
      expect(await (await fetch(`${second.url}/blobs/good`)).text()).toBe('fine');
      expect((await fetch(`${second.url}/blobs/truncated`)).status).toBe(404);
      expect((await fetch(`${second.url}/blobs/garbage`)).status).toBe(404);
      const { data } = (await (await fetch(`${second.url}/internal/blobs`)).json()) as {
        data: Array<{ id: string }>;
      };
      expect(data.map((entry) => entry.id)).toEqual(['good']);
      const errors = second.logLines().filter((line) => line.message === 'ignoring a corrupt blob record');
      expect(errors.map((line) => String(line.file))).toEqual(
        expect.arrayContaining([expect.stringMatching(/truncated$/), expect.stringMatching(/garbage$/)]),
      );
      // A new write replaces the broken record.
      expect((await fetch(`${second.url}/blobs/truncated`, { method: 'PUT', body: 'whole' })).status).toBe(
        201,
      );
      expect(await (await fetch(`${second.url}/blobs/truncated`)).text()).toBe('whole');
    } finally {
      await second.close();
    }
  });

  it('removes leftover temp files', async () => {
    const dataDir = await newDataDir('leftovers');
    const first = await startBlobServer(dataDir);
    await first.close();
    await writeFile(`${dataDir}/tmp/left-behind`, 'half an upload');
    const second = await startBlobServer(dataDir);
    await second.close();
    expect(await tempFiles(dataDir)).toEqual([]);
  });
});

describe('kill -9 while uploads are streaming', () => {
  let registrations: unknown[] = [];
  let loadBalancer: Server;

  afterAll(async () => {
    await new Promise((resolve) => loadBalancer.close(resolve));
  });

  it('keeps every acknowledged blob intact and shows no partial one', async () => {
    // A stand-in load balancer, to see the node register itself.
    loadBalancer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        registrations.push({ url: request.url, body: JSON.parse(body) as unknown });
        response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const lbPort = await findFreePort();
    await new Promise<void>((resolve) => loadBalancer.listen(lbPort, '127.0.0.1', resolve));

    const dataDir = await newDataDir('kill');
    const port = await findFreePort();
    const env = {
      PORT: String(port),
      DATA_DIR: dataDir,
      LOAD_BALANCER_URL: `http://127.0.0.1:${lbPort}`,
      ADVERTISED_HOST: '127.0.0.1',
    };
    const server = await spawnBlobServer(env);
    await eventually(() => Promise.resolve(registrations.length > 0), 'the registration');
    expect(registrations[0]).toEqual({
      url: '/internal/nodes',
      body: {
        name: 'test-node',
        destination: { host: '127.0.0.1', port },
        bootId: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        ) as string,
      },
    });

    // Uploads that will never finish: their bodies stop halfway.
    const stalled = Array.from({ length: 4 }, (_, index) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`PUT /blobs/stalled-${index} HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n`);
      socket.write(Buffer.alloc(100_000, 9));
      return socket;
    });

    // Writers that keep uploading until the process dies, remembering what was acknowledged.
    const acknowledged = new Map<string, { etag: string; bytes: Buffer }>();
    let killed = false;
    const writer = async (writerIndex: number) => {
      for (let round = 0; !killed; round += 1) {
        const id = `w${writerIndex}-${round}`;
        const bytes = Buffer.alloc(20_000 + ((round * 7919) % 60_000), (writerIndex * 31 + round) % 256);
        try {
          const response = await fetch(`${server.url}/blobs/${id}`, { method: 'PUT', body: bytes });
          const { etag } = (await response.json()) as { etag: string };
          if (response.status === 201) acknowledged.set(id, { etag, bytes });
        } catch {
          return; // the server died under this request: not acknowledged
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, index) => writer(index));
    await eventually(() => Promise.resolve(acknowledged.size >= 40), '40 acknowledged uploads', 40_000);
    server.process.kill('SIGKILL');
    killed = true;
    await server.exited;
    await Promise.all(writers);
    for (const socket of stalled) socket.destroy();

    const restarted = await spawnBlobServer({ ...env, LOAD_BALANCER_URL: '' });
    try {
      expect(await tempFiles(dataDir)).toEqual([]);
      for (const [id, { etag, bytes }] of acknowledged) {
        const read = await fetch(`${restarted.url}/blobs/${id}`);
        const body = Buffer.from(await read.arrayBuffer());
        expect([id, read.status, read.headers.get('etag'), md5(body) === md5(bytes)]).toEqual([
          id,
          200,
          etag,
          true,
        ]);
      }
      for (let index = 0; index < stalled.length; index += 1) {
        expect((await fetch(`${restarted.url}/blobs/stalled-${index}`)).status).toBe(404);
      }
      // Whatever else is listed was committed whole: its bytes match its ETag and size.
      const { data } = (await (await fetch(`${restarted.url}/internal/blobs?limit=10000`)).json()) as {
        data: Array<{ id: string; size: number; etag: string }>;
      };
      expect(data.length).toBeGreaterThanOrEqual(acknowledged.size);
      for (const entry of data) {
        const body = Buffer.from(await (await fetch(`${restarted.url}/blobs/${entry.id}`)).arrayBuffer());
        expect([entry.id, body.length, `"${md5(body)}"`]).toEqual([entry.id, entry.size, entry.etag]);
      }
    } finally {
      restarted.process.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
    }
    registrations = [];
  }, 60_000);
});
