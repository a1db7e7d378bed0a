// End to end with real processes: three blob servers started from their entry point register themselves with
// the balancer (as under `pnpm start`); blobs written through the balancer land on the node the ring names,
// come back byte for byte with every stored header, and HEAD, DELETE, conditional and range requests pass
// through. Last, one node is killed with SIGKILL: the health checks mark it unhealthy within their budget,
// /internal/nodes shows it, and its blobs answer 503 naming it while the others' keep being served; a new write of
// one of them lands on a stand-in and reads back. The balancer keeps one copy here (REPLICATION_FACTOR 1), so
// "the node the ring names" is one node; replication has its own process tests.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  listNodes,
  removeDir,
  scratchDir,
  spawnBlobNode,
  startBalancer,
  TEST_CONFIG,
  type BlobNode,
  type RunningBalancer,
} from './support/cluster.js';

let balancer: RunningBalancer;
let nodes: BlobNode[] = [];
let dataDir: string;

beforeAll(async () => {
  dataDir = await scratchDir('e2e');
  balancer = await startBalancer({ REPLICATION_FACTOR: 1, WRITE_QUORUM: 1 });
  nodes = await Promise.all(
    ['blob-1', 'blob-2', 'blob-3'].map((name) => spawnBlobNode(name, balancer.url, dataDir)),
  );
  await eventually(
    async () => {
      const listed = await listNodes(balancer.url);
      return listed.length === 3 && listed.every((n) => n.status === 'healthy') ? listed : undefined;
    },
    15_000,
    'three healthy nodes',
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.kill()));
  await balancer?.close();
  await removeDir(dataDir);
});

const nodeNamed = (name: string) => nodes.find((node) => node.name === name) as BlobNode;

async function ownerOf(id: string): Promise<string> {
  const placement = (await (await fetch(`${balancer.url}/internal/ring/${id}`)).json()) as {
    nodes: string[];
  };
  return placement.nodes[0] as string;
}

async function put(id: string, body: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${balancer.url}/blobs/${id}`, { method: 'PUT', body, headers });
}

describe('a cluster of three self-registered blob servers', () => {
  it('registers each node under its name and advertised address', async () => {
    const listed = await listNodes(balancer.url);
    expect(listed.map(({ name, host, port }) => ({ name, host, port }))).toEqual(
      nodes.map(({ name, port }) => ({ name, host: '127.0.0.1', port })),
    );
  });

  it('stores every blob on the node the ring names, and only there', async () => {
    const servedBy = new Set<string>();
    for (let i = 0; i < 24; i += 1) {
      const id = `placed-${i}`;
      const stored = await put(id, Buffer.from(`blob ${i}`));
      expect(stored.status).toBe(201);
      const owner = await ownerOf(id);
      expect(stored.headers.get('x-served-by')).toBe(owner);
      servedBy.add(owner);
      for (const node of nodes) {
        const direct = await fetch(`${node.url}/blobs/${id}`, { method: 'HEAD' });
        expect(direct.status, `${id} on ${node.name}`).toBe(node.name === owner ? 200 : 404);
      }
    }
    expect([...servedBy].sort()).toEqual(['blob-1', 'blob-2', 'blob-3']);
  });

  it('returns the exact bytes and every stored header, on GET and HEAD', async () => {
    const body = randomBytes(1024 * 1024 + 17);
    const stored = await put('photo.raw', body, {
      'content-type': 'image/x-raw',
      'x-rebase-camera': 'field-7',
      'x-rebase-Owner': 'ada',
    });
    expect(stored.status).toBe(201);
    const answer = (await stored.json()) as { size: number; etag: string };
    expect(answer.size).toBe(body.length);

    const read = await fetch(`${balancer.url}/blobs/photo.raw`);
    expect(read.status).toBe(200);
    expect(Buffer.from(await read.arrayBuffer()).equals(body)).toBe(true);
    const direct = await fetch(`${nodeNamed(await ownerOf('photo.raw')).url}/blobs/photo.raw`, {
      method: 'HEAD',
    });
    for (const header of [
      'content-type',
      'content-length',
      'etag',
      'last-modified',
      'x-blob-version',
      'x-rebase-camera',
      'x-rebase-owner',
      'accept-ranges',
    ]) {
      expect(read.headers.get(header), header).toBe(direct.headers.get(header));
      expect(read.headers.get(header), header).not.toBeNull();
    }
    expect(read.headers.get('etag')).toBe(answer.etag);
    expect(read.headers.get('content-length')).toBe(String(body.length));

    const head = await fetch(`${balancer.url}/blobs/photo.raw`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect(head.headers.get('x-rebase-camera')).toBe('field-7');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('passes conditional and range requests through', async () => {
    const stored = await put('cond', Buffer.from('0123456789'));
    const etag = stored.headers.get('etag') as string;

    const notModified = await fetch(`${balancer.url}/blobs/cond`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);

    const range = await fetch(`${balancer.url}/blobs/cond`, { headers: { range: 'bytes=2-5' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(await range.text()).toBe('2345');

    const unsatisfiable = await fetch(`${balancer.url}/blobs/cond`, { headers: { range: 'bytes=50-60' } });
    expect(unsatisfiable.status).toBe(416);

    const exists = await put('cond', Buffer.from('x'), { 'if-none-match': '*' });
    expect(exists.status).toBe(412);
    const stale = await put('cond', Buffer.from('x'), { 'if-match': '"0000"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const matching = await put('cond', Buffer.from('new'), { 'if-match': etag });
    expect(matching.status).toBe(200);
  });

  it('deletes through the balancer, and then answers 404 from the owner', async () => {
    await put('doomed', Buffer.from('bye'));
    const deleted = await fetch(`${balancer.url}/blobs/doomed`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('x-served-by')).toBe(await ownerOf('doomed'));
    const gone = await fetch(`${balancer.url}/blobs/doomed`);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('passes the node’s own refusals through (an id longer than its MAX_ID_LENGTH)', async () => {
    const id = 'x'.repeat(201);
    const refused = await fetch(`${balancer.url}/blobs/${id}`);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-served-by')).toBe(await ownerOf(id));
    expect(((await refused.json()) as { detail: string }).detail).toContain('MAX_ID_LENGTH');
  });

  it('refuses a chunked upload with 411, as the blob server does', async () => {
    const chunked = await fetch(`${balancer.url}/blobs/chunked`, {
      method: 'PUT',
      body: new Blob(['abc']).stream(),
      duplex: 'half',
    });
    expect(chunked.status).toBe(411);
    expect(chunked.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('marks a node killed with SIGKILL unhealthy within its checks, answers 503 for its blobs only, and writes them to a stand-in', async () => {
    const victim = nodeNamed('blob-3');
    const ids = Array.from({ length: 24 }, (_, i) => `placed-${i}`);
    const owners = await Promise.all(ids.map(ownerOf));
    const victimsId = ids[owners.indexOf('blob-3')] as string;
    const survivorsId = ids[owners.findIndex((owner) => owner !== 'blob-3')] as string;

    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    await eventually(
      async () => {
        const listed = await listNodes(balancer.url);
        return listed.find((n) => n.name === 'blob-3')?.status === 'unhealthy' ? true : undefined;
      },
      10_000,
      'blob-3 to be marked unhealthy',
    );
    // 3 failed checks, one per interval, each failing at once (connection refused); generous for a busy CI.
    expect(Date.now() - killedAt).toBeLessThan(3 * TEST_CONFIG.HEALTH_INTERVAL_MS + 2_000);

    const listed = await listNodes(balancer.url);
    expect(listed.map((n) => [n.name, n.status])).toEqual([
      ['blob-1', 'healthy'],
      ['blob-2', 'healthy'],
      ['blob-3', 'unhealthy'],
    ]);
    const down = await fetch(`${balancer.url}/blobs/${victimsId}`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { detail: string }).detail).toContain('blob-3');
    // A write for it goes to a stand-in (the next healthy node clockwise), which holds it until blob-3 is back.
    const written = await put(victimsId, Buffer.from('again'));
    expect(written.status).toBe(201);
    expect(written.headers.get('x-served-by')).not.toBe('blob-3');
    const reread = await fetch(`${balancer.url}/blobs/${victimsId}`);
    expect(reread.status).toBe(200);
    expect(await reread.text()).toBe('again');
    expect((await fetch(`${balancer.url}/blobs/${survivorsId}`)).status).toBe(200);
    expect((await fetch(`${balancer.url}/ready`)).status).toBe(200);

    const metrics = await (await fetch(`${balancer.url}/metrics`)).text();
    expect(metrics).toContain('lb_node_healthy{node="blob-3"} 0');
    expect(metrics).toMatch(/lb_upstream_requests_total\{node="blob-1",status="201"\} \d+/);
  });
});
