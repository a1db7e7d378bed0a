// The balancer keeps its connections to a node: reads do not cost a new connection each, on the fast path (the
// owner in sync answers) nor on the compare path (a HEAD to each holder first, then the read), whose HEADs undici
// would otherwise close after every one. Counted as the node sees them: the sockets its /blobs requests came on.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { holding, startFakeNode, type FakeNode, type Handler } from './support/fake-nodes.js';
import { eventually, listNodes, register, startBalancer, type RunningBalancer } from './support/cluster.js';

let balancer: RunningBalancer | undefined;
let node: FakeNode | undefined;
afterEach(async () => {
  await balancer?.close();
  balancer = undefined;
  await node?.close();
  node = undefined;
});

/** `handle`, noting the socket of every /blobs request. */
function countingSockets(handle: Handler): { handle: Handler; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  return {
    sockets,
    handle: (exchange) => {
      sockets.add(exchange.request.socket);
      return handle(exchange);
    },
  };
}

async function readMany(url: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(`${url}/blobs/kept`, { method });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(method === 'GET' ? 'bytes' : '');
    }
  }
}

describe('connections to a node', () => {
  it('are reused by reads on the fast path', async () => {
    const counting = countingSockets(holding(7, 'bytes'));
    node = await startFakeNode('only', counting.handle);
    balancer = await startBalancer();
    expect((await register(balancer.url, 'only', '127.0.0.1', node.port)).status).toBe(201);
    const url = balancer.url;
    await eventually(
      async () => ((await listNodes(url))[0]?.inSync === true ? true : undefined),
      10_000,
      'the node in sync',
    );
    await readMany(url, 15);
    expect(node.seen).toHaveLength(30);
    // undici hands a connection back one tick after its answer, so a request sent at once may open a second.
    expect(counting.sockets.size).toBeLessThanOrEqual(2);
  });

  it('are reused by reads on the compare path, HEADs included', async () => {
    const counting = countingSockets(holding(7, 'bytes'));
    node = await startFakeNode('only', counting.handle);
    // The first rebalancer pass is far off: the node is not in sync, and every read compares versions first.
    balancer = await startBalancer({ REBALANCE_START_DELAY_MS: 600_000 });
    expect((await register(balancer.url, 'only', '127.0.0.1', node.port)).status).toBe(201);
    const url = balancer.url;
    await eventually(
      async () => ((await listNodes(url))[0]?.status === 'healthy' ? true : undefined),
      10_000,
      'the node healthy',
    );
    await readMany(url, 15);
    expect((await listNodes(url))[0]?.inSync).toBe(false);
    expect(node.seen.filter((seen) => seen.method === 'HEAD').length).toBeGreaterThanOrEqual(30);
    expect(counting.sockets.size).toBeLessThanOrEqual(3);
  });
});
