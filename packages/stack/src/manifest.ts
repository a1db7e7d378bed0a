// The local stack: which processes `pnpm start` runs, in what order, on which ports, with what environment.
// A service is started only when its folder exists, so the stack grows as services are built; everything
// binds to 127.0.0.1 and no INTERNAL_TOKEN is set, so /internal/* answers local curl and nothing else.
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

/** The processes to run, in start order, for the services that exist under `repoRoot`. */
export function planStack(repoRoot: string, config: StackConfig): ProcessSpec[] {
  const dataDir = path.resolve(repoRoot, config.STACK_DATA_DIR);
  const loadBalancerUrl = `http://${HOST}:${config.LOAD_BALANCER_PORT}`;
  const hasLoadBalancer = serviceExists(repoRoot, 'load-balancer');
  const blobServers = config.BLOB_SERVER_PORTS.split(',').map(
    (port, index): Omit<ProcessSpec, 'usesDatabase'> => {
      const nodeName = `blob-${index + 1}`;
      return {
        name: nodeName,
        service: 'blob-server',
        port: Number(port),
        env: {
          NODE_NAME: nodeName,
          DATA_DIR: path.join(dataDir, 'blobs', nodeName),
          ...(hasLoadBalancer ? { LOAD_BALANCER_URL: loadBalancerUrl, ADVERTISED_HOST: HOST } : {}),
        },
      };
    },
  );

  const inStartOrder: Array<Omit<ProcessSpec, 'usesDatabase'>> = [
    { name: 'load-balancer', service: 'load-balancer', port: config.LOAD_BALANCER_PORT, env: {} },
    ...blobServers,
    {
      name: 'cache-proxy',
      service: 'cache-proxy',
      port: config.CACHE_PROXY_PORT,
      env: { UPSTREAM_URL: config.UPSTREAM_URL ?? loadBalancerUrl },
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
    .map((spec) => ({
      ...spec,
      env: { ...spec.env, HOST, PORT: String(spec.port), LOG_LEVEL: config.LOG_LEVEL },
      usesDatabase: DATABASE_SERVICES.has(spec.service),
    }));
}
