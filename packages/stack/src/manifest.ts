// The local stack: which processes `pnpm start` runs, in what order, on which ports, with what environment.
// A service is started only when its folder exists, so the stack grows as services are built; everything
// binds to 127.0.0.1 and no INTERNAL_TOKEN is set, so /internal/* answers local curl and nothing else. A blob
// server added later (`pnpm start:node`, start-node.ts) gets the same environment as the stack's own.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { StackConfig } from './config.js';

export interface ProcessSpec {
  /** Unique name: the log file is `.logs/<name>.log`. */
  name: string;
  /** Folder under services/ that holds src/server.ts. */
  service: string;
  port: number;
  env: Record<string, string>;
  /** Gets DATABASE_URL, the PostgreSQL server, once it runs. */
  usesDatabase: boolean;
}

const HOST = '127.0.0.1';
const DATABASE_SERVICES = new Set(['user-service', 'increments-service', 'analytics-service', 'the-wolf']);

export function serviceExists(repoRoot: string, service: string): boolean {
  return existsSync(path.join(repoRoot, 'services', service, 'src', 'server.ts'));
}

/**
 * How often each blob server of the stack re-announces itself to the balancer. The node's own default is 10 s;
 * in the stack a balancer restarted with kill -9 knows every node again within about 2 s.
 */
const STACK_HEARTBEAT_INTERVAL_MS = 2000;

export function loadBalancerUrl(config: StackConfig): string {
  return `http://${HOST}:${config.LOAD_BALANCER_PORT}`;
}

/** The blob servers `pnpm start` runs: blob-1, blob-2, … on BLOB_SERVER_PORTS, in that order. */
export function configuredBlobNodes(config: StackConfig): Array<{ name: string; port: number }> {
  return config.BLOB_SERVER_PORTS.split(',').map((port, index) => ({
    name: `blob-${index + 1}`,
    port: Number(port),
  }));
}

/** One blob server of the stack: its own data folder under the stack's, announcing itself to the balancer. */
export function blobServerSpec(
  repoRoot: string,
  config: StackConfig,
  node: { name: string; port: number },
): ProcessSpec {
  return withCommonEnv(config, blobServer(repoRoot, config, node));
}

function blobServer(
  repoRoot: string,
  config: StackConfig,
  node: { name: string; port: number },
): Omit<ProcessSpec, 'usesDatabase'> {
  const hasLoadBalancer = serviceExists(repoRoot, 'load-balancer');
  return {
    name: node.name,
    service: 'blob-server',
    port: node.port,
    env: {
      NODE_NAME: node.name,
      DATA_DIR: path.join(path.resolve(repoRoot, config.STACK_DATA_DIR), 'blobs', node.name),
      ...(hasLoadBalancer
        ? {
            LOAD_BALANCER_URL: loadBalancerUrl(config),
            ADVERTISED_HOST: HOST,
            HEARTBEAT_INTERVAL_MS: String(STACK_HEARTBEAT_INTERVAL_MS),
          }
        : {}),
    },
  };
}

/** The processes to run, in start order, for the services that exist under `repoRoot`. */
export function planStack(repoRoot: string, config: StackConfig): ProcessSpec[] {
  const balancerUrl = loadBalancerUrl(config);
  const blobServers = configuredBlobNodes(config).map((node) => blobServer(repoRoot, config, node));

  const inStartOrder: Array<Omit<ProcessSpec, 'usesDatabase'>> = [
    {
      name: 'load-balancer',
      service: 'load-balancer',
      port: config.LOAD_BALANCER_PORT,
      // Every node has announced itself within two heartbeats; the first rebalancer pass need not wait 15 s.
      env: {
        REBALANCE_START_DELAY_MS: String(2 * STACK_HEARTBEAT_INTERVAL_MS),
        // A balancer restarted with kill -9 knows every node at once, not one heartbeat at a time.
        MEMBERSHIP_FILE: path.join(
          path.resolve(repoRoot, config.STACK_DATA_DIR),
          'load-balancer',
          'membership.json',
        ),
      },
    },
    ...blobServers,
    {
      name: 'cache-proxy',
      service: 'cache-proxy',
      port: config.CACHE_PROXY_PORT,
      env: { UPSTREAM_URL: config.UPSTREAM_URL ?? balancerUrl },
    },
    { name: 'user-service', service: 'user-service', port: config.USER_SERVICE_PORT, env: {} },
    {
      name: 'increments-service',
      service: 'increments-service',
      port: config.INCREMENTS_SERVICE_PORT,
      env: {},
    },
    { name: 'analytics-service', service: 'analytics-service', port: config.ANALYTICS_SERVICE_PORT, env: {} },
    { name: 'the-wolf', service: 'the-wolf', port: config.WOLF_PORT, env: {} },
  ];
  return inStartOrder
    .filter(({ service }) => serviceExists(repoRoot, service))
    .map((spec) => withCommonEnv(config, spec));
}

function withCommonEnv(config: StackConfig, spec: Omit<ProcessSpec, 'usesDatabase'>): ProcessSpec {
  return {
    ...spec,
    env: { ...spec.env, HOST, PORT: String(spec.port), LOG_LEVEL: config.LOG_LEVEL },
    usesDatabase: DATABASE_SERVICES.has(spec.service),
  };
}
