// Early refusals through the balancer: a write its nodes refuse from the headers (413 over their MAX_LENGTH, 507
// over their quota) reaches curl, undici, node:http and a send-then-read client as that status and its
// problem+json, during 2 MiB and 10 MiB uploads, with and without `Expect: 100-continue`; so do the balancer's
// own header-only refusals (411 for a chunked upload, 400 for a bad id). The refused upload is never sent to a
// node (the nodes hold nothing afterwards), the balancer closes its client connection with a lingering close,
// and then answers normally and holds no connection of the client's. A node that refuses part-way through the
// body (and stops reading) is sent no more of it, so the refusal reaches the client at once.
import { expectRefusal, openConnections, upload, UPLOAD_CLIENTS } from '@backend-rebase/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { answer, startFakeNode, type FakeNode } from './support/fake-nodes.js';
import {
  eventually,
  listNodes,
  register,
  removeDir,
  scratchDir,
  spawnBlobNode,
  startBalancer,
  type BlobNode,
  type RunningBalancer,
} from './support/cluster.js';

const MiB = 1024 * 1024;

interface Cluster {
  balancer: RunningBalancer;
  nodes: BlobNode[];
  dataDir: string;
}

async function startCluster(label: string, env: Record<string, string>): Promise<Cluster> {
  const balancer = await startBalancer();
  const dataDir = await scratchDir(label);
  const nodes = await Promise.all(
    ['n1', 'n2'].map((name) => spawnBlobNode(name, balancer.url, dataDir, { env })),
  );
  await eventually(
    async () => {
      const healthy = (await listNodes(balancer.url)).filter((node) => node.status === 'healthy');
      return healthy.length === 2 ? true : undefined;
    },
    30_000,
    'both nodes healthy',
  );
  return { balancer, nodes, dataDir };
}

async function stopCluster(cluster: Cluster | undefined): Promise<void> {
  if (!cluster) return;
  await cluster.balancer.close();
  await Promise.all(cluster.nodes.map((node) => node.kill()));
  await removeDir(cluster.dataDir);
}

let small: Cluster | undefined; // nodes with MAX_LENGTH 1 MiB: 413
let full: Cluster | undefined; // nodes with a 1 MiB quota that allow the uploads' length: 507

beforeAll(async () => {
  [small, full] = await Promise.all([
    startCluster('refusals-small', { MAX_LENGTH: '1MiB' }),
    startCluster('refusals-full', { MAX_LENGTH: '16MiB', MAX_DISK_QUOTA: '1MiB' }),
  ]);
}, 120_000);

afterAll(async () => {
  await stopCluster(small);
  await stopCluster(full);
}, 60_000);

interface Refusal {
  name: string;
  cluster: () => Cluster;
  path: string;
  status: number;
  detail: RegExp;
  chunked?: true;
}

const REFUSALS: Refusal[] = [
  { name: "the nodes' 413", cluster: () => small!, path: '/blobs/big', status: 413, detail: /MAX_LENGTH/ },
  { name: "the nodes' 507", cluster: () => full!, path: '/blobs/big', status: 507, detail: /MAX_DISK_QUOTA/ },
  { name: 'its own 400 for a bad id', cluster: () => full!, path: '/blobs/a%20b', status: 400, detail: /id/ },
  {
    name: 'its own 411 for a chunked upload',
    cluster: () => full!,
    path: '/blobs/chunked',
    status: 411,
    detail: /Content-Length/,
    chunked: true,
  },
];

describe.each(REFUSALS)('through the balancer, $name', (refusal) => {
  for (const { client, expect: withExpect } of UPLOAD_CLIENTS) {
    for (const size of [2 * MiB, 10 * MiB]) {
      it(`reaches ${client} during a ${size / MiB} MiB upload ${withExpect ? 'with' : 'without'} Expect`, async () => {
        const { balancer, nodes } = refusal.cluster();
        // The nodes' heartbeats hold connections of their own: none of the client's may be left beside them.
        const before = await openConnections(balancer.app);
        const result = await upload({
          client,
          url: balancer.url + refusal.path,
          bytes: size,
          expect: withExpect,
          chunked: refusal.chunked,
        });
        expectRefusal(result, refusal);
        const health = await fetch(`${balancer.url}/health`, { headers: { connection: 'close' } });
        expect(health.status).toBe(200);
        await vi.waitFor(
          async () => expect(await openConnections(balancer.app)).toBeLessThanOrEqual(before),
          {
            timeout: 20_000,
          },
        );
        // Nothing of the refused upload reached a node.
        for (const node of nodes) {
          const listed = (await (await fetch(`${node.url}/internal/blobs`)).json()) as { data: unknown[] };
          expect(listed.data).toEqual([]);
        }
      });
    }
  }
});

describe('a refusal part-way through the body', () => {
  let balancer: RunningBalancer | undefined;
  let fakes: FakeNode[] = [];

  beforeAll(async () => {
    // A long upstream timeout: only the balancer giving up on the refused upload can answer the client in time.
    balancer = await startBalancer({ UPSTREAM_TIMEOUT_MS: 60_000 });
    // Each node says 100 Continue, answers 507 on the first bytes of the body and reads no more of it.
    fakes = await Promise.all(
      ['f1', 'f2'].map((name) =>
        startFakeNode(name, (exchange) => {
          void exchange.accept();
          exchange.request.once('data', () => {
            exchange.request.pause();
            answer(exchange.response, 507, {
              type: 'about:blank',
              title: 'Insufficient Storage',
              status: 507,
              detail: 'the device is full (ENOSPC)',
            });
          });
        }),
      ),
    );
    for (const fake of fakes) {
      expect((await register(balancer.url, fake.name, '127.0.0.1', fake.port)).status).toBe(201);
    }
    await eventually(
      async () =>
        (await listNodes(balancer!.url)).every((node) => node.status === 'healthy') ? true : undefined,
      10_000,
      'the fake nodes healthy',
    );
  });

  afterAll(async () => {
    await balancer?.close();
    await Promise.all(fakes.map((fake) => fake.close()));
  });

  for (const { client, expect: withExpect } of UPLOAD_CLIENTS) {
    it(`reaches ${client} during a 10 MiB upload ${withExpect ? 'with' : 'without'} Expect, and the nodes get no more of it`, async () => {
      const result = await upload({
        client,
        url: `${balancer!.url}/blobs/partway`,
        bytes: 10 * MiB,
        expect: withExpect,
      });
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(507);
      expect(result.connection).toBe('close');
      expect(JSON.parse(result.body)).toMatchObject({ status: 507, detail: 'the device is full (ENOSPC)' });
      for (const fake of fakes) expect(fake.seen.at(-1)?.complete).toBe(false);
    });
  }
});
