// The wolf as a Fastify app that does not listen: server.ts runs it, tests inject requests or listen on port 0.
// It serves the probes, /metrics and POST /internal/passes, and, when given an interval, runs passes on that
// schedule from the moment it is built. Closing the app (SIGTERM) stops the pass in progress between two batches
// and waits for it, so the pool can be ended right after. The pool is handed in, not made here, so its owner
// (the entry file, a test) decides its size and closes it.
import { pingDatabase } from '@backend-rebase/db';
import type { Logger } from '@backend-rebase/logger';
import { createService, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { addWolfMetrics } from './metrics.js';
import { patrol } from './retention/patrol.js';
import { Wolf } from './retention/wolf.js';
import { passRoutes } from './routes/passes.js';

export interface AppConfig {
  /** INTERNAL_TOKEN; unset = /internal/* serves loopback clients only */
  internalToken?: string;
  retentionHours: number;
  batchSize: number;
  /** WOLF_INTERVAL_SECONDS; unset = no scheduled passes (tests run them with POST /internal/passes) */
  intervalSeconds?: number;
}

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated analytics database, of at least 2 connections (a pass holds one) */
  pool: pg.Pool;
  /** the clock the cutoff is computed from; tests fix it */
  now?: () => Date;
}

export async function buildApp(config: AppConfig, { logger, pool, now }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'the-wolf',
    logger,
    internalToken: config.internalToken,
    // Ready while the database answers: a wolf that cannot reach it cannot delete anything.
    readiness: { database: () => pingDatabase(pool) },
  });
  const wolf = new Wolf({
    pool,
    logger,
    retentionHours: config.retentionHours,
    batchSize: config.batchSize,
    observer: addWolfMetrics(app.metrics.registry),
    now,
  });
  const shutdown = new AbortController();
  await app.register(passRoutes, { wolf, shutdown: shutdown.signal });

  const patrolled =
    config.intervalSeconds === undefined
      ? Promise.resolve()
      : patrol((signal) => wolf.pass({ signal }), {
          intervalMs: config.intervalSeconds * 1000,
          signal: shutdown.signal,
        });
  // preClose runs before in-flight requests are awaited: a POST /internal/passes in progress stops too.
  app.addHook('preClose', async () => {
    shutdown.abort();
    await patrolled;
  });
  return app;
}
