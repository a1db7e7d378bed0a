// A client of the balancer that stops reading (issue 15, item 7): the balancer's idle bound (the kit's
// HTTP_IDLE_TIMEOUT, cut to 300 ms here) closes the client's connection, and with it the balancer aborts its
// request to the node, so the node's read of the record ends and its file is closed — although the node's own
// idle bound is an hour: only the balancer can have let go of that upstream connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  neverReads,
  openFilesUnder,
  openServerConnections,
  serverClosed,
  stopsHalfway,
} from '@backend-rebase/service-kit/testing';
import {
  eventually as until,
  listNodes,
  removeDir,
  scratchDir,
  spawnBlobNode,
  startBalancer,
  type BlobNode,
  type RunningBalancer,
} from './support/cluster.js';
import path from 'node:path';

const LARGE = 32 * 1024 * 1024; // more than the socket buffers hold between the node, the balancer and the client
let balancer: RunningBalancer;
let node: BlobNode;
let dataDir: string;

beforeAll(async () => {
  dataDir = await scratchDir('slow-clients');
  // Read by the balancer's createService in this process (a process of its own per test file).
  process.env.HTTP_IDLE_TIMEOUT = '300ms';
  balancer = await startBalancer({ REPLICATION_FACTOR: 1, WRITE_QUORUM: 1 });
  node = await spawnBlobNode('blob-1', balancer.url, dataDir, {
    env: { MAX_LENGTH: '64MiB', HTTP_IDLE_TIMEOUT: '1h' },
  });
  await until(
    async () => ((await listNodes(balancer.url)).some((n) => n.status === 'healthy') ? true : undefined),
    15_000,
    'a healthy node',
  );
  const stored = await fetch(`${balancer.url}/blobs/large`, { method: 'PUT', body: Buffer.alloc(LARGE, 7) });
  expect(stored.status).toBe(201);
}, 120_000);

afterAll(async () => {
  await node?.kill();
  await balancer?.close();
  await removeDir(dataDir);
  delete process.env.HTTP_IDLE_TIMEOUT;
});

describe('a client of the balancer that never reads', () => {
  it('is cut off after the idle bound, and the request to the node is aborted with it', async () => {
    const nodeFiles = () => openFilesUnder(path.join(dataDir, 'blob-1'), node.process.pid);
    const connectionsBefore = await openServerConnections(node.port);
    const client = await neverReads(balancer.port, '/blobs/large');
    await eventually('the node streams the record', nodeFiles, (open) => open.length === 1);

    await eventually('the balancer closed the client', () => serverClosed(balancer.port, client), Boolean, {
      timeoutMs: 10_000,
    });
    await eventually('the node closed the record', nodeFiles, (open) => open.length === 0, {
      timeoutMs: 10_000,
    });
    // The upstream connection that carried the read is gone, not parked half-read in the pool.
    await eventually(
      'the node holds no more connections than before the read',
      () => openServerConnections(node.port),
      (count) => count <= connectionsBefore,
      { timeoutMs: 10_000 },
    );
    client.socket.destroy();

    const again = await fetch(`${balancer.url}/blobs/large`);
    expect(again.status).toBe(200);
    expect((await again.arrayBuffer()).byteLength).toBe(LARGE);
  }, 30_000);

  it('drops an upload that stops half-way after the idle bound and stays up, with nothing stored', async () => {
    const client = await stopsHalfway(balancer.port, '/blobs/half', 4 * 1024 * 1024, 256 * 1024);
    await client.closed;
    const nodeFiles = () => openFilesUnder(path.join(dataDir, 'blob-1'), node.process.pid);
    await eventually('the node has nothing open', nodeFiles, (open) => open.length === 0, {
      timeoutMs: 10_000,
    });
    expect((await fetch(`${balancer.url}/blobs/half`)).status).toBe(404);
    expect((await fetch(`${balancer.url}/health`)).status).toBe(200);
  }, 30_000);
});
