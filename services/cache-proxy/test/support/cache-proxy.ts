// The cache proxy in this process on a real port, in front of a given upstream.
import { captureLogger } from '@backend-rebase/logger/testing';
import type { Clock, Service, SlowClientBounds } from '@backend-rebase/service-kit';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export interface RunningCacheProxy {
  url: string;
  port: number;
  app: Service;
  close(): Promise<void>;
}

export async function startCacheProxy(
  upstreamUrl: string,
  overrides: Partial<Config> = {},
  now?: Clock,
  slowClients?: Partial<SlowClientBounds>,
): Promise<RunningCacheProxy> {
  const { logger } = captureLogger('cache-proxy');
  const app = await buildApp(
    {
      ...loadConfig({ env: {}, dotenvPath: '/nonexistent/.env' }),
      UPSTREAM_URL: upstreamUrl,
      UPSTREAM_TIMEOUT_MS: 5_000,
      UPSTREAM_CONNECTIONS: 16,
      ...overrides,
    },
    { logger, ...(now ? { now } : {}), ...(slowClients ? { slowClients } : {}) },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, port, app, close: () => app.close() };
}
