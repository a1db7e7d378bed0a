// What `pnpm start` and `pnpm start:node` give each blob server: the stack's balancer, a heartbeat every 2 s,
// a data folder of its own; and where an added or restarted node goes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planStack, type StackConfig } from '../src/index.js';
import { NodePlanError, planAddedNode } from '../src/node-plan.js';

// The checkout itself: it has services/blob-server and services/load-balancer.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const config: StackConfig = {
  EMBEDDED_PG_PORT: 5433,
  LOAD_BALANCER_PORT: 3000,
  BLOB_SERVER_PORTS: '3001,3002,3003',
  CACHE_PROXY_PORT: 4242,
  USER_SERVICE_PORT: 3100,
  ANALYTICS_SERVICE_PORT: 3200,
  INCREMENTS_SERVICE_PORT: 3201,
  WOLF_PORT: 3202,
  LOG_LEVEL: 'info',
  STACK_DATA_DIR: '.data',
  STACK_LOG_DIR: '.logs',
  STACK_READY_TIMEOUT_SECONDS: 60,
};

const allFree = () => Promise.resolve(true);

describe('pnpm start', () => {
  it('runs three blob servers that announce themselves to the balancer every 2 s', () => {
    const blobServers = planStack(repoRoot, config).filter((spec) => spec.service === 'blob-server');
    expect(blobServers.map(({ name, port }) => [name, port])).toEqual([
      ['blob-1', 3001],
      ['blob-2', 3002],
      ['blob-3', 3003],
    ]);
    expect(blobServers[1]!.env).toMatchObject({
      NODE_NAME: 'blob-2',
      DATA_DIR: path.join(repoRoot, '.data', 'blobs', 'blob-2'),
      LOAD_BALANCER_URL: 'http://127.0.0.1:3000',
      ADVERTISED_HOST: '127.0.0.1',
      HEARTBEAT_INTERVAL_MS: '2000',
      PORT: '3002',
      HOST: '127.0.0.1',
    });
  });

  it("leaves the replication factor to the balancer's default (2)", () => {
    const balancer = planStack(repoRoot, config).find((spec) => spec.service === 'load-balancer');
    expect(balancer?.env).not.toHaveProperty('REPLICATION_FACTOR');
  });
});

describe('pnpm start:node', () => {
  it("brings one of the stack's own nodes back on its port and data", async () => {
    const spec = await planAddedNode({ repoRoot, config, name: 'blob-2', isPortFree: allFree });
    expect(spec.port).toBe(3002);
    expect(spec.env).toEqual(planStack(repoRoot, config).find((entry) => entry.name === 'blob-2')!.env);
  });

  it('puts a new node on the first free port after the configured ones, with the same environment', async () => {
    const taken = new Set([3004, 3005]);
    const spec = await planAddedNode({
      repoRoot,
      config,
      name: 'blob-4',
      isPortFree: (port) => Promise.resolve(!taken.has(port)),
    });
    expect(spec).toMatchObject({ name: 'blob-4', service: 'blob-server', port: 3006 });
    expect(spec.env).toMatchObject({
      NODE_NAME: 'blob-4',
      PORT: '3006',
      DATA_DIR: path.join(repoRoot, '.data', 'blobs', 'blob-4'),
      LOAD_BALANCER_URL: 'http://127.0.0.1:3000',
      HEARTBEAT_INTERVAL_MS: '2000',
    });
  });

  it("skips the ports of the stack's other services even while they are free", async () => {
    const spec = await planAddedNode({
      repoRoot,
      config: { ...config, BLOB_SERVER_PORTS: '3098,3099' },
      name: 'blob-3',
      isPortFree: allFree,
    });
    expect(spec.port).toBe(3101); // 3100 is the user service's
  });

  it('keeps the address the balancer has for a node added before', async () => {
    const spec = await planAddedNode({
      repoRoot,
      config,
      name: 'blob-4',
      registeredPort: 3010,
      isPortFree: allFree,
    });
    expect(spec.port).toBe(3010);
  });

  it('refuses a node whose port is taken (it is running already) and a name the blob server refuses', async () => {
    await expect(
      planAddedNode({ repoRoot, config, name: 'blob-1', isPortFree: () => Promise.resolve(false) }),
    ).rejects.toThrow(/port 3001, where blob-1 runs, is in use: is blob-1 running already/);
    await expect(planAddedNode({ repoRoot, config, name: 'blob 4', isPortFree: allFree })).rejects.toThrow(
      NodePlanError,
    );
  });
});
