// The local stack: which processes `pnpm start` runs, in what order, on which ports, with what environment.
// A service is started only when its folder exists, so the stack grows as services are built; everything
// binds to 127.0.0.1 and no INTERNAL_TOKEN is set, so /internal/* answers local curl and nothing else.
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface StackSettings {
  repoRoot: string;
  /** Where blob servers keep their files and the embedded database its cluster. */
  dataDir: string;
  /** PostgreSQL server URL handed to every database-backed service. */
  databaseUrl: string;
  env: NodeJS.ProcessEnv;
}

export interface ProcessSpec {
  /** Unique name: the log file is `.logs/<name>.log`. */
  name: string;
  /** Folder under services/ that holds src/server.ts. */
  service: string;
  port: number;
  env: Record<string, string>;
}

const SERVICES_IN_START_ORDER = [
  'load-balancer',
  'blob-server',
  'cache-proxy',
  'user-service',
  'increments-service',
  'analytics-service',
  'the-wolf',
] as const;

export type ServiceName = (typeof SERVICES_IN_START_ORDER)[number];

/** Each default port of the contract, and the variable that moves it. */
export const PORT_VARIABLES = {
  'load-balancer': ['LOAD_BALANCER_PORT', 3000],
  'cache-proxy': ['CACHE_PROXY_PORT', 4242],
  'user-service': ['USER_SERVICE_PORT', 3100],
  'analytics-service': ['ANALYTICS_SERVICE_PORT', 3200],
  'increments-service': ['INCREMENTS_SERVICE_PORT', 3201],
  'the-wolf': ['WOLF_PORT', 3202],
} as const satisfies Record<Exclude<ServiceName, 'blob-server'>, readonly [string, number]>;

export const BLOB_SERVER_PORTS_VARIABLE = 'BLOB_SERVER_PORTS';
const DEFAULT_BLOB_SERVER_PORTS = [3001, 3002, 3003];

export function serviceExists(repoRoot: string, service: string): boolean {
  return existsSync(path.join(repoRoot, 'services', service, 'src', 'server.ts'));
}

/** The processes to run, in start order, for the services that exist in this checkout. */
export function planStack(settings: StackSettings): ProcessSpec[] {
  const { env } = settings;
  const host = '127.0.0.1';
  const portOf = (service: keyof typeof PORT_VARIABLES): number => {
    const [variable, fallback] = PORT_VARIABLES[service];
    return parsePort(variable, env[variable], fallback);
  };
  const loadBalancerUrl = `http://${host}:${portOf('load-balancer')}`;
  const common = { HOST: host, LOG_LEVEL: env.LOG_LEVEL ?? 'info' };

  const plan: ProcessSpec[] = [];
  for (const service of SERVICES_IN_START_ORDER) {
    if (!serviceExists(settings.repoRoot, service)) continue;
    if (service === 'blob-server') {
      blobServerPorts(env).forEach((port, index) => {
        const nodeName = `blob-${index + 1}`;
        plan.push({
          name: nodeName,
          service,
          port,
          env: {
            ...common,
            PORT: String(port),
            NODE_NAME: nodeName,
            DATA_DIR: path.join(settings.dataDir, 'blobs', nodeName),
            ...(serviceExists(settings.repoRoot, 'load-balancer')
              ? { LOAD_BALANCER_URL: loadBalancerUrl, ADVERTISED_HOST: host }
              : {}),
          },
        });
      });
      continue;
    }
    const port = portOf(service);
    const serviceEnv: Record<string, string> = { ...common, PORT: String(port) };
    if (service === 'cache-proxy') serviceEnv.UPSTREAM_URL = env.UPSTREAM_URL ?? loadBalancerUrl;
    if (['user-service', 'increments-service', 'analytics-service', 'the-wolf'].includes(service)) {
      serviceEnv.DATABASE_URL = settings.databaseUrl;
    }
    plan.push({ name: service, service, port, env: serviceEnv });
  }
  return plan;
}

function blobServerPorts(env: NodeJS.ProcessEnv): number[] {
  const raw = env[BLOB_SERVER_PORTS_VARIABLE];
  if (raw === undefined || raw.trim() === '') return DEFAULT_BLOB_SERVER_PORTS;
  return raw.split(',').map((part) => parsePort(BLOB_SERVER_PORTS_VARIABLE, part.trim(), 0));
}

export function parsePort(variable: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${variable} must be a port number from 1 to 65535, got "${raw}"`);
  }
  return port;
}
