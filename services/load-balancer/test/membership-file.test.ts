// MEMBERSHIP_FILE: a balancer restarted on the same file knows its nodes before any heartbeat arrives — who is
// registered, who is draining, and which process of a removed node must not come back — and a damaged file only
// costs the wait for heartbeats.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  eventually,
  listNodes,
  removeDir,
  scratchDir,
  startBalancer,
  startRecordingNode,
  type RecordingNode,
  type RunningBalancer,
} from './support/cluster.js';

vi.setConfig({ testTimeout: 30_000 });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function balancerOn(file: string): Promise<RunningBalancer> {
  const balancer = await startBalancer({ MEMBERSHIP_FILE: file });
  cleanups.push(() => balancer.close());
  return balancer;
}

async function liveNode(): Promise<RecordingNode> {
  const node = await startRecordingNode();
  cleanups.push(() => node.close());
  return node;
}

async function scratchFile(): Promise<string> {
  const dir = await scratchDir('membership');
  cleanups.push(() => removeDir(dir));
  return path.join(dir, 'state', 'membership.json');
}

function announce(balancer: RunningBalancer, name: string, port: number, bootId: string) {
  return fetch(`${balancer.url}/internal/nodes`, {
    method: 'POST',
    body: JSON.stringify({ name, destination: { host: '127.0.0.1', port }, bootId }),
  });
}

describe('MEMBERSHIP_FILE', () => {
  it('lets a restarted balancer serve its nodes before any of them announces itself again', async () => {
    const file = await scratchFile();
    const [a, b] = [await liveNode(), await liveNode()];
    const c = { port: 9 }; // nobody listens: c is never healthy, so DELETE removes it at once
    const first = await balancerOn(file);
    expect((await announce(first, 'a', a.port, 'boot-a')).status).toBe(201);
    expect((await announce(first, 'b', b.port, 'boot-b')).status).toBe(201);
    expect((await announce(first, 'c', c.port, 'boot-c')).status).toBe(201);
    expect((await fetch(`${first.url}/internal/nodes/c`, { method: 'DELETE' })).status).toBe(204);
    await first.close();
    const saved = JSON.parse(await readFile(file, 'utf8')) as { removed: unknown };
    expect(saved.removed).toEqual([['c', 'boot-c']]);

    const second = await balancerOn(file);
    const nodes = await eventually(
      async () => {
        const listed = await listNodes(second.url);
        return listed.length === 2 && listed.every((node) => node.status === 'healthy') ? listed : undefined;
      },
      5_000,
      'the saved nodes to pass a health check',
    );
    expect(nodes.map(({ name, port, bootId }) => ({ name, port, bootId }))).toEqual([
      { name: 'a', port: a.port, bootId: 'boot-a' },
      { name: 'b', port: b.port, bootId: 'boot-b' },
    ]);
    // The same process announcing itself is a heartbeat, not a re-registration; the removed one stays out.
    expect((await announce(second, 'a', a.port, 'boot-a')).status).toBe(200);
    expect((await announce(second, 'c', c.port, 'boot-c')).status).toBe(410);
    expect((await announce(second, 'c', c.port, 'boot-c2')).status).toBe(201);
  });

  it('keeps a draining node draining across a restart', async () => {
    const file = await scratchFile();
    const [a, b] = [await liveNode(), await liveNode()];
    const first = await balancerOn(file);
    await announce(first, 'a', a.port, 'boot-a');
    await announce(first, 'b', b.port, 'boot-b');
    await first.app.close(); // no rebalancer pass may finish the drain in between: drain by hand below
    const saved = JSON.parse(await readFile(file, 'utf8')) as { nodes: Array<{ draining: boolean }> };
    saved.nodes[1] = { ...saved.nodes[1], draining: true };
    await writeFile(file, JSON.stringify(saved));

    const second = await balancerOn(file);
    const ring = (await (await fetch(`${second.url}/internal/ring`)).json()) as {
      data: Array<{ name: string }>;
    };
    expect(ring.data.map((node) => node.name)).toEqual(['a']);
    expect((await listNodes(second.url)).map(({ name, draining }) => ({ name, draining }))).toEqual([
      { name: 'a', draining: false },
      { name: 'b', draining: true },
    ]);
  });

  it('starts empty and logs it when the file is damaged, then learns the nodes from their heartbeats', async () => {
    const file = await scratchFile();
    const first = await balancerOn(file);
    const a = await liveNode();
    await announce(first, 'a', a.port, 'boot-a');
    await first.close();
    await writeFile(file, '{"nodes": [{"name": 7}');

    const second = await balancerOn(file);
    expect(await listNodes(second.url)).toEqual([]);
    expect(
      second
        .logLines()
        .some((line) => line.message === 'the membership file is not valid; waiting for heartbeats'),
    ).toBe(true);
    expect((await announce(second, 'a', a.port, 'boot-a')).status).toBe(201);
  });
});
