// The cache proxy as a Fastify app (docs/cache-proxy.md) on the service kit: /blobs/:id through the cache,
// PURGE, /internal/cache and the cache metrics. It does not listen; server.ts does. Closing the app closes the
// upstream connection pool. /ready passes when upstream's /ready does, so start-up order does not matter.
import type { Logger } from '@backend-rebase/logger';
import { createService, type Clock, type Service, type SlowClientBounds } from '@backend-rebase/service-kit';
import { ResponseCache } from './cache/response-cache.js';
import type { Config } from './config.js';
import { addCacheMetrics } from './metrics.js';
import { ReadThrough } from './proxy/read-through.js';
import { Upstream } from './proxy/upstream.js';
import { blobRoutes } from './routes/blobs.js';
import { internalCacheRoutes } from './routes/internal-cache.js';

export interface AppDeps {
  logger: Logger;
  /** tests move time forward */
  now?: Clock;
  /** the kit's slow-client bounds (HTTP_IDLE_TIMEOUT, …), over the environment's; tests shorten them */
  slowClients?: Partial<SlowClientBounds>;
}

/** Longest id the router matches: the blob server's MAX_ID_LENGTH (at most 255), percent-encoded ×3. */
const MAX_PARAM_LENGTH = 1024;

export async function buildApp(
  config: Config,
  { logger, now = Date.now, slowClients }: AppDeps,
): Promise<Service> {
  const upstream = new Upstream(config.UPSTREAM_URL, {
    connections: config.UPSTREAM_CONNECTIONS,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });
  const cache = new ResponseCache({
    maxItems: config.MAX_ITEMS_IN_CACHE,
    maxBytes: config.CACHE_MAX_BYTES,
    maxEntryBytes: config.CACHE_MAX_ENTRY_BYTES,
  });
  const readThrough = new ReadThrough({ cache, upstream, ttlSeconds: config.CACHE_TTL_SECONDS, now });

  const app = await createService({
    name: 'cache-proxy',
    logger,
    internalToken: config.INTERNAL_TOKEN,
    maxParamLength: MAX_PARAM_LENGTH,
    readiness: { upstream: () => upstream.ready() },
    ...(slowClients ? { slowClients } : {}),
  });
  app.addHttpMethod('PURGE');
  addCacheMetrics(app.metrics.registry, cache);

  await app.register(blobRoutes, { readThrough, now });
  await app.register(internalCacheRoutes, { cache, readThrough });

  app.addHook('onClose', async () => {
    await upstream.close();
  });
  return app;
}
