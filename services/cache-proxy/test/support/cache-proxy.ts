// The cache proxy in this process on a real port, in front of a given upstream.
import { captureLogger } from '@backend-rebase/logger/testing';
import type { Service, SlowClientBounds } from '@backend-rebase/service-kit';
import { buildApp, type CacheProxyAppConfig } from '../../src/app.js';

export interface RunningCacheProxy {
  url: string;
  port: number;
  app: Service;
  close(): Promise<void>;
}

export async function startCacheProxy(
  upstreamUrl: string,
  overrides: Partial<CacheProxyAppConfig> = {},
  now?: () => number,
  slowClients?: Partial<SlowClientBounds>,
): Promise<RunningCacheProxy> {
  const { logger } = captureLogger('cache-proxy');
  const app = await buildApp(
    {
      UPSTREAM_URL: upstreamUrl,
      MAX_ITEMS_IN_CACHE: 1000,
      CACHE_MAX_BYTES: 64 * 1024 * 1024,
      CACHE_MAX_ENTRY_BYTES: 1024 * 1024,
      CACHE_TTL_SECONDS: 0,
      UPSTREAM_TIMEOUT_MS: 5_000,
      UPSTREAM_CONNECTIONS: 16,
      INTERNAL_TOKEN: undefined,
      ...overrides,
    },
    { logger, ...(now ? { now } : {}), ...(slowClients ? { slowClients } : {}) },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, port, app, close: () => app.close() };
}
