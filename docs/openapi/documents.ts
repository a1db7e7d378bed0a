// The OpenAPI document of every service, built from the service's own app: each app is built as its entry file
// builds it, with the defaults of its configuration, but listens nowhere and needs no database (the pools
// connect lazily, and nothing here runs a query). The text is what `pnpm docs:openapi` commits under
// docs/public/openapi/ and what the drift test compares with: the same input gives the same bytes on any
// machine (no host, port, path, time or random value reaches a document).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createPool } from '@backend-rebase/db';
import { createLogger } from '@backend-rebase/logger';
import type { Service } from '@backend-rebase/service-kit';
import prettier from 'prettier';
import { buildApp as buildAnalyticsService } from '../../services/analytics-service/src/app.js';
import { loadConfig as loadAnalyticsConfig } from '../../services/analytics-service/src/config.js';
import { buildApp as buildBlobServer } from '../../services/blob-server/src/app.js';
import { loadConfig as loadBlobServerConfig } from '../../services/blob-server/src/config.js';
import { buildApp as buildCacheProxy } from '../../services/cache-proxy/src/app.js';
import { loadConfig as loadCacheProxyConfig } from '../../services/cache-proxy/src/config.js';
import { buildApp as buildIncrementsService } from '../../services/increments-service/src/app.js';
import { loadConfig as loadIncrementsConfig } from '../../services/increments-service/src/config.js';
import { buildApp as buildLoadBalancer } from '../../services/load-balancer/src/app.js';
import { loadConfig as loadLoadBalancerConfig } from '../../services/load-balancer/src/config.js';
import { buildApp as buildWolf } from '../../services/the-wolf/src/app.js';
import { loadConfig as loadWolfConfig } from '../../services/the-wolf/src/config.js';
import { buildApp as buildUserService } from '../../services/user-service/src/app.js';
import { loadConfig as loadUserConfig } from '../../services/user-service/src/config.js';

export const SERVICES = [
  'blob-server',
  'load-balancer',
  'cache-proxy',
  'user-service',
  'increments-service',
  'analytics-service',
  'the-wolf',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export const OUTPUT_DIR = fileURLToPath(new URL('../public/openapi/', import.meta.url));

export function documentPath(service: ServiceName): string {
  return path.join(OUTPUT_DIR, `${service}.json`);
}

/** The document of one service as committed: pretty-printed JSON in the repository's Prettier style. */
export async function documentText(service: ServiceName): Promise<string> {
  const document = await openApiDocument(service);
  const file = documentPath(service);
  const options = await prettier.resolveConfig(file);
  return prettier.format(JSON.stringify(document), { ...options, filepath: file });
}

async function openApiDocument(service: ServiceName): Promise<unknown> {
  // Each build gets an empty folder: the blob server's data lives there, and no .env is found in it, so the
  // configuration is the defaults whatever the developer's .env says.
  const folder = await mkdtemp(path.join(tmpdir(), `openapi-${service}-`));
  try {
    const app = await buildService(service, folder);
    try {
      await app.ready();
      return app.swagger();
    } finally {
      await app.close();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function buildService(service: ServiceName, folder: string): Promise<Service> {
  const logger = createLogger({ service, env: {}, level: 'error', stream: discard() });
  const defaults = { env: {}, dotenvPath: path.join(folder, '.env') };
  switch (service) {
    case 'blob-server':
      return buildBlobServer({ ...loadBlobServerConfig(defaults), DATA_DIR: folder }, { logger });
    case 'load-balancer':
      return buildLoadBalancer(loadLoadBalancerConfig(defaults), { logger });
    case 'cache-proxy':
      return buildCacheProxy(loadCacheProxyConfig(defaults), { logger });
    case 'user-service':
      return withPool((pool) => buildUserService(loadUserConfig(defaults), { logger, pool }));
    case 'increments-service':
      return withPool((pool) => buildIncrementsService(loadIncrementsConfig(defaults), { logger, pool }));
    case 'analytics-service':
      return withPool((pool) => buildAnalyticsService(loadAnalyticsConfig(defaults), { logger, pool }));
    case 'the-wolf':
      return withPool((pool) => buildWolf(loadWolfConfig(defaults), { logger, pool }));
  }
}

/**
 * A pool that is never asked for a connection (periodic jobs start only when an app listens, and no request is
 * made); should that change, port 1 refuses at once instead of reaching someone's database. It ends with the app.
 */
async function withPool(build: (pool: ReturnType<typeof createPool>) => Promise<Service>): Promise<Service> {
  const pool = createPool({ connectionString: 'postgres://openapi@127.0.0.1:1/openapi' });
  const app = await build(pool);
  app.addHook('onClose', () => pool.end());
  return app;
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
