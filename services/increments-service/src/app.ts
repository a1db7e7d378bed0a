// The increments service as a Fastify app that does not listen: server.ts runs it, tests inject requests or
// listen on port 0. The pool is handed in; the group commit is made here and flushed by `app.close()`, so a
// shutdown never drops an acknowledged or pending view.
import { clientTimeoutMs, DEFAULT_STATEMENT_TIMEOUT_MS, pingDatabase } from '@backend-rebase/db';
import type { Logger } from '@backend-rebase/logger';
import { addPoolMetrics, createService, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { addIncrementMetrics } from './metrics.js';
import { GroupCommit } from './page-views/group-commit.js';
import { addHourlyViews, flushOutcome } from './page-views/hourly-store.js';
import { pageViewRoutes } from './routes/page-views.js';

// 10,000 pairs of 200-character pages with their keys and counts are about 2.4 MB of JSON.
const BODY_LIMIT = 4 * 1024 * 1024;

export interface AppConfig {
  /** INTERNAL_TOKEN; unset = /internal/* serves loopback clients only */
  internalToken?: string | undefined;
  flushMaxKeys?: number;
  flushIntervalMs?: number;
  flushWhenIdle?: boolean;
  maxPendingKeys?: number;
  /** flushes that may run at once; at most the pool's size */
  maxConcurrentFlushes?: number;
  /**
   * FLUSH_TIMEOUT_MS, the pool's statement_timeout: a flush's transaction gets a client-side deadline a margin
   * above it, so the server, not the client, ends a slow flush (and its views are surely not counted).
   */
  flushTimeoutMs?: number;
}

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated analytics database */
  pool: pg.Pool;
}

export async function buildApp(config: AppConfig, { logger, pool }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'increments-service',
    logger,
    internalToken: config.internalToken,
    bodyLimit: BODY_LIMIT,
    readiness: { database: () => pingDatabase(pool) },
  });

  const flushDeadlineMs = clientTimeoutMs(config.flushTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS);
  const groupCommit: GroupCommit = new GroupCommit({
    write: (rows) => addHourlyViews(pool, rows, flushDeadlineMs),
    maxKeys: config.flushMaxKeys ?? 1000,
    intervalMs: config.flushIntervalMs ?? 20,
    flushWhenIdle: config.flushWhenIdle ?? true,
    maxPendingKeys: config.maxPendingKeys ?? 200_000,
    maxConcurrentFlushes: config.maxConcurrentFlushes ?? 4,
    onFlush: (flush) => {
      metrics.flushed(flush);
      if (flush.error !== undefined) {
        logger.error('flush failed; its requests are answered 503', {
          keys: flush.keys,
          outcome: flushOutcome(flush.error),
          err: flush.error,
        });
      }
    },
  });
  const metrics = addIncrementMetrics(app.metrics.registry, () => groupCommit.pendingKeys);
  addPoolMetrics(app.metrics.registry, pool);

  await app.register(pageViewRoutes, { groupCommit, metrics });
  // preClose runs as shutdown begins: the requests still in flight are flushed at once instead of waiting for
  // the interval. onClose runs once every request has been answered, and flushes what is left.
  app.addHook('preClose', () => groupCommit.drain());
  app.addHook('onClose', () => groupCommit.close());
  return app;
}
