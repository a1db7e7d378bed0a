// The registry and ring endpoints, in process: validation of every malformed registration, re-registration,
// heartbeats, draining and removal (and the 410 a removed process gets), the /internal guard, the course-mode
// window, and the ring as GET /internal/ring[/:id] shows it.
// Nodes that must be healthy are stand-ins (startRecordingNode); nodes that must not are closed ports.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ringGoldenTable } from '@backend-rebase/data-structures/testing';
import { REGISTRATION_CLOSED } from '../src/app.js';
import { startFakeNode } from './support/fake-nodes.js';
import {
  eventually,
  freePort,
  startBalancer,
  startRecordingNode,
  type RecordingNode,
  type RunningBalancer,
} from './support/cluster.js';

let balancer: RunningBalancer | undefined;
let live: RecordingNode;
let deadPort: number;

beforeAll(async () => {
  live = await startRecordingNode();
  deadPort = await freePort();
});
afterAll(() => live.close());
afterEach(async () => {
  await balancer?.close();
  balancer = undefined;
});

async function start(...args: Parameters<typeof startBalancer>): Promise<RunningBalancer> {
  balancer = await startBalancer(...args);
  return balancer;
}

const valid = { name: 'blob-1', destination: { host: '127.0.0.1', port: 3001 } };
const withDestination = (destination: Record<string, unknown>) => ({
  name: 'blob-1',
  destination: { ...valid.destination, ...destination },
});

// [what, body as sent, a word the problem's detail must contain]
const MALFORMED: Array<[string, string, string]> = [
  ['an empty body', '', 'empty'],
  ['text that is not JSON', 'nope', 'JSON'],
  ['truncated JSON', '{"name": "blob-1", "destination": {', 'JSON'],
  ['an array', '[]', 'body'],
  ['null', 'null', 'body'],
  ['a string', '"blob-1"', 'body'],
  ['an empty object', '{}', 'body/name'],
  ['no destination', JSON.stringify({ name: 'blob-1' }), 'body/destination'],
  ['a name of the wrong type', JSON.stringify({ ...valid, name: 7 }), 'body/name'],
  ['an empty name', JSON.stringify({ ...valid, name: '' }), 'body/name'],
  ['a name of 51 characters', JSON.stringify({ ...valid, name: 'n'.repeat(51) }), 'body/name'],
  ['a name with a space', JSON.stringify({ ...valid, name: 'blob 1' }), 'body/name'],
  ['a name with a slash', JSON.stringify({ ...valid, name: 'a/b' }), 'body/name'],
  ['a name with a dot', JSON.stringify({ ...valid, name: 'blob.1' }), 'body/name'],
  [
    'a destination that is a string',
    JSON.stringify({ ...valid, destination: '127.0.0.1:3001' }),
    'body/destination',
  ],
  ['no host', JSON.stringify({ name: 'blob-1', destination: { port: 3001 } }), 'body/destination/host'],
  ['no port', JSON.stringify({ name: 'blob-1', destination: { host: 'h' } }), 'body/destination/port'],
  ['an empty host', JSON.stringify(withDestination({ host: '' })), 'body/destination/host'],
  ['a host of the wrong type', JSON.stringify(withDestination({ host: 12 })), 'body/destination/host'],
  [
    'a host of 254 characters',
    JSON.stringify(withDestination({ host: 'a'.repeat(254) })),
    'body/destination/host',
  ],
  ['host 0.0.0.0', JSON.stringify(withDestination({ host: '0.0.0.0' })), 'body/destination/host'],
  ['host ::', JSON.stringify(withDestination({ host: '::' })), 'body/destination/host'],
  ['host [::]', JSON.stringify(withDestination({ host: '[::]' })), 'body/destination/host'],
  [
    'a dotted number that is no IPv4',
    JSON.stringify(withDestination({ host: '999.1.1.1' })),
    'body/destination/host',
  ],
  ['a host with an empty label', JSON.stringify(withDestination({ host: 'a..b' })), 'body/destination/host'],
  [
    'a host starting with -',
    JSON.stringify(withDestination({ host: '-a.example' })),
    'body/destination/host',
  ],
  ['a host with _', JSON.stringify(withDestination({ host: 'blob_1' })), 'body/destination/host'],
  ['a host with a space', JSON.stringify(withDestination({ host: 'a b' })), 'body/destination/host'],
  ['a host that is a URL', JSON.stringify(withDestination({ host: 'http://a' })), 'body/destination/host'],
  ['port 0', JSON.stringify(withDestination({ port: 0 })), 'body/destination/port'],
  ['port -1', JSON.stringify(withDestination({ port: -1 })), 'body/destination/port'],
  ['port 65536', JSON.stringify(withDestination({ port: 65536 })), 'body/destination/port'],
  ['a fractional port', JSON.stringify(withDestination({ port: 3001.5 })), 'body/destination/port'],
  ['a port as text', JSON.stringify(withDestination({ port: '3001' })), 'body/destination/port'],
  ['a null port', JSON.stringify(withDestination({ port: null })), 'body/destination/port'],
  ['an unknown field', JSON.stringify({ ...valid, weight: 2 }), 'body/weight'],
  [
    'an unknown destination field',
    JSON.stringify(withDestination({ scheme: 'http' })),
    'body/destination/scheme',
  ],
];

describe('POST /internal/nodes', () => {
  it.each(MALFORMED)('refuses %s with a 400 problem', async (_what, body, named) => {
    const { app } = await start();
    const response = await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json<{ status: number; detail: string }>();
    expect(problem.status).toBe(400);
    expect(problem.detail).toContain(named);
    const nodes = await app.inject({ url: '/internal/nodes' });
    expect(nodes.json()).toEqual({ data: [] });
  });

  it.each([
    ['application/json', 'application/json'],
    ['text/plain', 'text/plain'],
    ['a form type', 'application/x-www-form-urlencoded'],
    ['no content type', undefined],
  ])('accepts JSON sent as %s', async (_what, contentType) => {
    const { app } = await start();
    const response = await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      headers: contentType ? { 'content-type': contentType } : {},
      payload: JSON.stringify({ name: 'blob-1', destination: { host: '127.0.0.1', port: live.port } }),
    });
    expect(response.statusCode).toBe(201);
  });

  it('accepts host names, IPv4 and IPv6 literals', async () => {
    const { app } = await start();
    for (const [index, host] of ['localhost', 'blob-1.cluster.local', '10.0.0.7', '::1', '[::1]'].entries()) {
      const response = await app.inject({
        method: 'POST',
        url: '/internal/nodes',
        payload: { name: `n${index}`, destination: { host, port: deadPort } },
      });
      expect(response.statusCode, host).toBe(201);
      expect(response.json<{ host: string }>().host).toBe(host === '[::1]' ? '::1' : host);
    }
  });

  it('answers 201 with the node, checked once, and 200 when the name re-registers with a new address', async () => {
    const { app } = await start();
    const first = await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'blob-1', destination: { host: '127.0.0.1', port: deadPort } },
    });
    expect(first.statusCode).toBe(201);
    const created = first.json<Record<string, unknown>>();
    expect(created).toEqual({
      name: 'blob-1',
      host: '127.0.0.1',
      port: deadPort,
      status: 'unhealthy',
      registeredAt: expect.any(String) as string,
      lastCheckAt: expect.any(String) as string,
      bootId: null,
      draining: false,
      inSync: false,
    });

    const moved = await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'blob-1', destination: { host: 'localhost', port: live.port } },
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({
      name: 'blob-1',
      host: 'localhost',
      port: live.port,
      status: 'healthy',
    });

    const listed = await app.inject({ url: '/internal/nodes' });
    expect(listed.json<{ data: unknown[] }>().data).toEqual([moved.json()]);
  });
});

describe('GET and DELETE /internal/nodes', () => {
  it('lists nodes by name and removes them from the list and the ring', async () => {
    const { app } = await start();
    for (const name of ['blob-3', 'blob-1', 'blob-2']) {
      await app.inject({
        method: 'POST',
        url: '/internal/nodes',
        payload: { name, destination: { host: '127.0.0.1', port: deadPort } },
      });
    }
    const names = async () =>
      (await app.inject({ url: '/internal/nodes' }))
        .json<{ data: Array<{ name: string }> }>()
        .data.map((n) => n.name);
    expect(await names()).toEqual(['blob-1', 'blob-2', 'blob-3']);

    expect((await app.inject({ method: 'DELETE', url: '/internal/nodes/blob-2' })).statusCode).toBe(204);
    expect(await names()).toEqual(['blob-1', 'blob-3']);
    const ring = (await app.inject({ url: '/internal/ring' })).json<{ data: Array<{ name: string }> }>();
    expect(ring.data.map((n) => n.name)).toEqual(['blob-1', 'blob-3']);

    const again = await app.inject({ method: 'DELETE', url: '/internal/nodes/blob-2' });
    expect(again.statusCode).toBe(404);
    expect(again.json<{ detail: string }>().detail).toContain('blob-2');
  });
});

describe('heartbeats (bootId)', () => {
  const announce = (app: RunningBalancer['app'], bootId: string, port = live.port) =>
    app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'blob-1', destination: { host: '127.0.0.1', port }, bootId },
    });

  it('answers 200 to the same process again and changes nothing; another process starts over', async () => {
    const { app } = await start();
    const first = await announce(app, 'boot-1');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      bootId: 'boot-1',
      status: 'healthy',
      draining: false,
      inSync: false,
    });

    const heartbeat = await announce(app, 'boot-1');
    expect(heartbeat.statusCode).toBe(200);
    expect(heartbeat.json()).toEqual(first.json()); // same registeredAt, not even probed again

    const restarted = await announce(app, 'boot-2');
    expect(restarted.statusCode).toBe(200);
    const after = restarted.json<{ bootId: string; registeredAt: string; inSync: boolean }>();
    expect(after.bootId).toBe('boot-2');
    expect(Date.parse(after.registeredAt)).toBeGreaterThanOrEqual(
      Date.parse(first.json<{ registeredAt: string }>().registeredAt),
    );
    expect(after.inSync).toBe(false);
  });

  it.each([
    ['an empty bootId', ''],
    ['a bootId of 101 characters', 'b'.repeat(101)],
    ['a bootId that is a number', 7],
  ])('refuses %s with a 400 problem naming it', async (_what, bootId) => {
    const { app } = await start();
    const response = await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'blob-1', destination: { host: '127.0.0.1', port: live.port }, bootId },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ detail: string }>().detail).toContain('body/bootId');
  });

  it('answers 410 to the process that was removed, and takes the node back when it restarts', async () => {
    const { app } = await start();
    expect((await announce(app, 'boot-1', deadPort)).statusCode).toBe(201);
    expect((await app.inject({ method: 'DELETE', url: '/internal/nodes/blob-1' })).statusCode).toBe(204);

    const refused = await announce(app, 'boot-1', deadPort);
    expect(refused.statusCode).toBe(410);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json<{ detail: string }>().detail).toBe(
      'blob-1 was removed with DELETE /internal/nodes/blob-1; it rejoins when it restarts',
    );
    expect((await app.inject({ url: '/internal/nodes' })).json()).toEqual({ data: [] });

    const restarted = await announce(app, 'boot-2', deadPort);
    expect(restarted.statusCode).toBe(201);
    expect(restarted.json()).toMatchObject({ name: 'blob-1', bootId: 'boot-2' });
  });
});

describe('DELETE /internal/nodes/:name of a healthy node', () => {
  it('drains it: off the ring at once, still listed as draining, and a second DELETE is 204 again', async () => {
    const { app } = await start();
    for (const [name, port] of [
      ['blob-1', live.port],
      ['blob-2', deadPort],
    ] as const) {
      await app.inject({
        method: 'POST',
        url: '/internal/nodes',
        payload: { name, destination: { host: '127.0.0.1', port }, bootId: `${name}-boot` },
      });
    }
    expect((await app.inject({ method: 'DELETE', url: '/internal/nodes/blob-1' })).statusCode).toBe(204);
    const listed = (await app.inject({ url: '/internal/nodes' })).json<{
      data: Array<{ name: string; status: string; draining: boolean }>;
    }>().data;
    expect(listed.map(({ name, status, draining }) => ({ name, status, draining }))).toEqual([
      { name: 'blob-1', status: 'healthy', draining: true },
      { name: 'blob-2', status: 'unhealthy', draining: false },
    ]);
    const ring = (await app.inject({ url: '/internal/ring' })).json<{
      replicationFactor: number;
      data: Array<{ name: string }>;
    }>();
    expect(ring.data.map((n) => n.name)).toEqual(['blob-2']);
    expect(ring.replicationFactor).toBe(1);
    expect((await app.inject({ url: '/internal/ring/x' })).json()).toMatchObject({ nodes: ['blob-2'] });

    // its heartbeats change nothing while it drains
    const heartbeat = await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'blob-1', destination: { host: '127.0.0.1', port: live.port }, bootId: 'blob-1-boot' },
    });
    expect(heartbeat.statusCode).toBe(200);
    expect(heartbeat.json()).toMatchObject({ draining: true });

    expect((await app.inject({ method: 'DELETE', url: '/internal/nodes/blob-1' })).statusCode).toBe(204);
    expect((await app.inject({ url: '/internal/nodes' })).json<{ data: unknown[] }>().data).toHaveLength(2);
  });
});

describe('membership and the rebalancer, wired', () => {
  it('catches new nodes up, then drains a live node until it leaves, and refuses its heartbeat', async () => {
    const nodes = await Promise.all(['blob-1', 'blob-2'].map((name) => startFakeNode(name)));
    try {
      const { app } = await start();
      const announce = (index: number) =>
        app.inject({
          method: 'POST',
          url: '/internal/nodes',
          payload: {
            name: `blob-${index + 1}`,
            destination: { host: '127.0.0.1', port: nodes[index]?.port },
            bootId: `boot-${index + 1}`,
          },
        });
      const listed = async () =>
        (await app.inject({ url: '/internal/nodes' })).json<{
          data: Array<{ name: string; inSync: boolean; draining: boolean }>;
        }>().data;
      expect((await announce(0)).statusCode).toBe(201);
      expect((await announce(1)).statusCode).toBe(201);

      // The joins asked for a pass; the nodes list nothing, so it leaves both in sync.
      await eventually(
        async () => ((await listed()).every((node) => node.inSync) ? true : undefined),
        10_000,
        'both nodes in sync',
      );

      expect((await app.inject({ method: 'DELETE', url: '/internal/nodes/blob-1' })).statusCode).toBe(204);
      // blob-1 holds nothing: the pass the drain asked for hands it over, and it leaves the list.
      await eventually(
        async () => ((await listed()).map((node) => node.name).join() === 'blob-2' ? true : undefined),
        10_000,
        'blob-1 to be drained and removed',
      );
      expect((await announce(0)).statusCode).toBe(410);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});

describe('the /internal guard', () => {
  it('wants the bearer token when INTERNAL_TOKEN is set', async () => {
    const { url } = await start({ INTERNAL_TOKEN: 'secret' });
    const body = JSON.stringify({ name: 'blob-1', destination: { host: '127.0.0.1', port: deadPort } });
    const refused = await fetch(`${url}/internal/nodes`, { method: 'POST', body });
    expect(refused.status).toBe(401);
    const accepted = await fetch(`${url}/internal/nodes`, {
      method: 'POST',
      body,
      headers: { authorization: 'Bearer secret' },
    });
    expect(accepted.status).toBe(201);
  });
});

describe('course mode (REGISTRATION_WINDOW_SECONDS)', () => {
  it('takes registrations during the window, serves /blobs only after it, then refuses with 403', async () => {
    let now = 1_000_000;
    const { app } = await start({ REGISTRATION_WINDOW_SECONDS: 5 }, () => now);
    const registerLive = () =>
      app.inject({
        method: 'POST',
        url: '/internal/nodes',
        payload: { name: 'blob-1', destination: { host: '127.0.0.1', port: live.port } },
      });
    expect((await registerLive()).statusCode).toBe(201);
    const early = await app.inject({ url: '/blobs/x' });
    expect(early.statusCode).toBe(503);
    expect(early.json<{ detail: string }>().detail).toContain('registration window');
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(503);

    now += 5_000;
    const late = await registerLive();
    expect(late.statusCode).toBe(403);
    expect(late.json<{ detail: string }>().detail).toBe(REGISTRATION_CLOSED);
    expect(REGISTRATION_CLOSED).toBe('the request was rejected because registration period is over');
    // Refused before the body is looked at.
    const malformedLate = await app.inject({ method: 'POST', url: '/internal/nodes', payload: 'nope' });
    expect(malformedLate.statusCode).toBe(403);
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/blobs/x' })).statusCode).toBe(200);
  });

  it('still takes the heartbeats of a node registered in the window, and nothing else', async () => {
    let now = 1_000_000;
    const { app } = await start({ REGISTRATION_WINDOW_SECONDS: 5 }, () => now);
    const announce = (bootId: string) =>
      app.inject({
        method: 'POST',
        url: '/internal/nodes',
        payload: { name: 'blob-1', destination: { host: '127.0.0.1', port: live.port }, bootId },
      });
    expect((await announce('first-boot')).statusCode).toBe(201);

    now += 5_000;
    expect((await announce('first-boot')).statusCode).toBe(200);
    const restarted = await announce('second-boot');
    expect(restarted.statusCode).toBe(403);
    expect(restarted.json<{ detail: string }>().detail).toBe(REGISTRATION_CLOSED);
  });
});

describe('readiness and /blobs without nodes', () => {
  it('is not ready and answers 503 until a node is healthy', async () => {
    const { app } = await start();
    const ready = await app.inject({ url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ checks: { nodes: { status: 'fail' } } });
    const blob = await app.inject({ url: '/blobs/x' });
    expect(blob.statusCode).toBe(503);
    expect(blob.json<{ detail: string }>().detail).toBe('no blob server has registered yet');

    await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'dead', destination: { host: '127.0.0.1', port: deadPort } },
    });
    const stillDown = await app.inject({ url: '/blobs/x' });
    expect(stillDown.json<{ detail: string }>().detail).toBe(
      'none of the 1 registered blob servers is healthy',
    );
  });
});

describe('GET /internal/ring', () => {
  const golden = ringGoldenTable;

  it("places ids as the golden table does, and reports each node's share", async () => {
    const { app } = await start();
    for (const name of golden.nodes) {
      await app.inject({
        method: 'POST',
        url: '/internal/nodes',
        payload: { name, destination: { host: '127.0.0.1', port: deadPort } },
      });
    }
    for (const { id, hash, owners } of golden.cases.slice(0, 10)) {
      const response = await app.inject({ url: `/internal/ring/${encodeURIComponent(id)}` });
      expect(response.json()).toEqual({ id, hash, nodes: owners.slice(0, 2), serving: [] });
    }
    const ring = (await app.inject({ url: '/internal/ring' })).json<{
      pointsPerNode: number;
      replicationFactor: number;
      data: Array<{ name: string; points: number; share: number; status: string }>;
    }>();
    expect(ring.pointsPerNode).toBe(160);
    expect(ring.replicationFactor).toBe(2);
    expect(ring.data.map((n) => n.name)).toEqual(golden.nodes);
    expect(ring.data.reduce((sum, n) => sum + n.share, 0)).toBeCloseTo(1, 9);
    for (const node of ring.data) {
      expect(node.points).toBe(160);
      expect(node.share).toBeGreaterThan(0.2);
      expect(node.status).toBe('unhealthy');
    }
  });

  it('names a stand-in as serving when the owner is down', async () => {
    const { app } = await start();
    // Find an id whose owner is "dead" once "alive" is on the ring too.
    await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'dead', destination: { host: '127.0.0.1', port: deadPort } },
    });
    await app.inject({
      method: 'POST',
      url: '/internal/nodes',
      payload: { name: 'alive', destination: { host: '127.0.0.1', port: live.port } },
    });
    for (let i = 0; ; i += 1) {
      const placement = (await app.inject({ url: `/internal/ring/id-${i}` })).json<{
        nodes: string[];
        serving: string[];
      }>();
      if (placement.nodes[0] !== 'dead') continue;
      expect(placement.serving).toEqual(['alive']);
      break;
    }
  });
});
