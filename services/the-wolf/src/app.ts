// The wolf as a Fastify app that does not listen: server.ts runs it, tests inject requests or listen on port 0.
// It serves the probes, /metrics and POST /internal/passes, and once it listens runs a pass at once and then
// WOLF_INTERVAL_SECONDS after each one ended. Closing the app (SIGTERM) stops the pass in progress between two
// batches and waits for it, so the pool can be ended right after. The pool is handed in, not made here, so its
// owner (the entry file, a test) decides its size and closes it.
import type { Logger } from '@backend-rebase/logger';
import { addPeriodicJob, createService, type Clock, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import type { Config } from './config.js';
import { addWolfMetrics } from './metrics.js';
import { Wolf } from './retention/wolf.js';
import { passRoutes } from './routes/passes.js';

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated analytics database, of at least 2 connections (a pass holds one) */
  pool: pg.Pool;
  /** the clock the cutoff is computed from; tests fix it */
  now?: Clock;
}

export async function buildApp(config: Config, { logger, pool, now }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'the-wolf',
    logger,
    internalToken: config.INTERNAL_TOKEN,
    // Ready while the database answers: a wolf that cannot reach it cannot delete anything.
    database: pool,
  });
  const wolf = new Wolf({
    pool,
    logger,
    retentionHours: config.RETENTION_HOURS,
    batchSize: config.WOLF_BATCH_SIZE,
    observer: addWolfMetrics(app.metrics.registry),
    now,
  });

  const shutdown = new AbortController();
  await app.register(passRoutes, { wolf, shutdown: shutdown.signal });
  // preClose runs before in-flight requests are awaited: a POST /internal/passes in progress stops too.
  app.addHook('preClose', (done) => {
    shutdown.abort();
    done();
  });

  // The database rests a whole interval after each pass, however long the pass took.
  addPeriodicJob(app, {
    name: 'retention-pass',
    intervalMs: config.WOLF_INTERVAL_SECONDS * 1000,
    runAtStart: true,
    spacing: 'end-to-start',
    async run(signal) {
      // The pass has logged and counted its failure; thrown, it is counted as a failed run of the job too.
      const outcome = await wolf.pass({ signal });
      if (outcome.status === 'failed') throw outcome.error;
    },
  });
  return app;
}
