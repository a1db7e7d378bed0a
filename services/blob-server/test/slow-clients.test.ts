// A blob server's resources under clients that stop half-way (issue 15, item 7), with the kit's idle bound cut to
// 300 ms through its environment setting: a reader that never reads a blob larger than the socket buffers holds
// the record's open file only until the bound, and an upload that stops half-way is dropped after it, leaving
// nothing stored, no temporary file and no open file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  neverReads,
  openFileCount,
  openFilesUnder,
  serverClosed,
  stopsHalfway,
} from '@backend-rebase/service-kit/testing';
import {
  removeDir,
  scratchDir,
  startBlobServer,
  tempFiles,
  type RunningBlobServer,
} from './support/blob-server.js';

const LARGE = 32 * 1024 * 1024; // more than the loopback's socket buffers hold between two stalled ends
let server: RunningBlobServer;

beforeAll(async () => {
  // Read by createService (the kit's HTTP_* settings); this file runs in a process of its own.
  process.env.HTTP_IDLE_TIMEOUT = '300ms';
  server = await startBlobServer(await scratchDir('slow-clients'), { MAX_LENGTH: 2 * LARGE });
  const stored = await fetch(`${server.url}/blobs/large`, { method: 'PUT', body: Buffer.alloc(LARGE, 7) });
  expect(stored.status).toBe(201);
});

afterAll(async () => {
  await server.close();
  await removeDir(server.dataDir);
  delete process.env.HTTP_IDLE_TIMEOUT;
});

const WAIT = { timeoutMs: 10_000 };

describe('slow clients of a blob server', () => {
  it('closes the record file of a read whose client stopped reading, once the idle bound has passed', async () => {
    expect(await openFilesUnder(server.dataDir)).toEqual([]);
    const openBefore = await openFileCount();
    const client = await neverReads(server.port, '/blobs/large');
    // The read is under way: the record is open while its body streams.
    await eventually(
      'the record is open',
      () => openFilesUnder(server.dataDir),
      (open) => open.length === 1,
    );
    await eventually(
      'the server closed the connection',
      () => serverClosed(server.port, client),
      Boolean,
      WAIT,
    );
    await eventually(
      'no file is open',
      () => openFilesUnder(server.dataDir),
      (open) => open.length === 0,
      WAIT,
    );
    client.socket.destroy();
    // Both ends of the connection, the record: every descriptor the read took is given back.
    await eventually(
      'the process holds as many descriptors as before',
      openFileCount,
      (count) => count <= openBefore,
    );

    const again = await fetch(`${server.url}/blobs/large`);
    expect(again.status).toBe(200);
    expect((await again.arrayBuffer()).byteLength).toBe(LARGE);
  });

  it('drops an upload that stops half-way after the idle bound: nothing stored, nothing left open', async () => {
    const client = await stopsHalfway(server.port, '/blobs/half', 1024 * 1024, 64 * 1024);
    await client.closed;
    await eventually(
      'no temporary file is left',
      () => tempFiles(server.dataDir),
      (files) => files.length === 0,
    );
    await eventually(
      'no file is open',
      () => openFilesUnder(server.dataDir),
      (open) => open.length === 0,
      WAIT,
    );
    expect((await fetch(`${server.url}/blobs/half`)).status).toBe(404);
  });
});
