// The increments service as a Fastify app that does not listen: server.ts runs it, tests inject requests or
// listen on port 0. The pool is handed in; the group commit is made here and flushed by `app.close()`, so a
// shutdown never drops an acknowledged or pending view.
import { clientTimeoutMs } from '@backend-rebase/db';
import type { Logger } from '@backend-rebase/logger';
import { createService, type Clock, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import type { Config } from './config.js';
import { addIncrementMetrics } from './metrics.js';
import { GroupCommit } from './page-views/group-commit.js';
import { addHourlyViews, flushOutcome } from './page-views/hourly-store.js';
import { pageViewRoutes } from './routes/page-views.js';

// 10,000 pairs of 200-character pages with their keys and counts are about 2.4 MB of JSON.
const BODY_LIMIT = 4 * 1024 * 1024;

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated analytics database, whose statement_timeout is FLUSH_TIMEOUT_MS (poolOptions) */
  pool: pg.Pool;
  /** the clock a view without a timestamp is counted by, and future timestamps are refused by */
  now?: Clock;
}

export async function buildApp(config: Config, { logger, pool, now = Date.now }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'increments-service',
    logger,
    internalToken: config.INTERNAL_TOKEN,
    bodyLimit: BODY_LIMIT,
    database: pool,
  });

  // A client-side deadline a margin above the server's statement_timeout, so the server, not the client, ends
  // a slow flush (and its views are surely not counted).
  const flushDeadlineMs = clientTimeoutMs(config.FLUSH_TIMEOUT_MS);
  const groupCommit: GroupCommit = new GroupCommit({
    write: (rows) => addHourlyViews(pool, rows, flushDeadlineMs),
    maxKeys: config.FLUSH_MAX_KEYS,
    intervalMs: config.FLUSH_INTERVAL_MS,
    flushWhenIdle: config.FLUSH_WHEN_IDLE,
    maxPendingKeys: config.MAX_PENDING_KEYS,
    // One flush per connection.
    maxConcurrentFlushes: config.DB_POOL_SIZE,
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

  await app.register(pageViewRoutes, { groupCommit, metrics, now });
  // preClose runs as shutdown begins: the requests still in flight are flushed at once instead of waiting for
  // the interval. onClose runs once every request has been answered, and flushes what is left.
  app.addHook('preClose', () => groupCommit.drain());
  app.addHook('onClose', () => groupCommit.close());
  return app;
}
