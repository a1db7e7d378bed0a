// The user service as a Fastify app that does not listen: server.ts runs it, tests inject requests or listen on
// port 0. The pool is handed in, not made here, so its owner (the entry file, a test) decides its size and
// closes it.
import { pingDatabase } from '@backend-rebase/db';
import type { Logger } from '@backend-rebase/logger';
import { createService, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { addUserMetrics } from './metrics.js';
import { userRoutes } from './routes/users.js';
import { UserStore } from './users/user-store.js';

const MAX_PATH_PARAMETER_LENGTH = 1024;

export interface AppConfig {
  /** INTERNAL_TOKEN; unset = /internal/* serves loopback clients only */
  internalToken?: string;
  /** a query without an answer after this long fails with 503; default 5000 ms */
  queryTimeoutMs?: number;
}

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated users database */
  pool: pg.Pool;
}

export async function buildApp(config: AppConfig, { logger, pool }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'user-service',
    logger,
    internalToken: config.internalToken,
    // Fastify's router refuses path parameters over 100 characters; an email may have 200. Anything up to this
    // length reaches the schema, so an over-long address gets a 400 that names the rule.
    maxParamLength: MAX_PATH_PARAMETER_LENGTH,
    // Ready while the database answers: a load balancer stops sending requests that could only get a 503.
    readiness: { database: () => pingDatabase(pool) },
  });
  const metrics = addUserMetrics(app.metrics.registry, pool);
  const store = new UserStore(pool, { queryTimeoutMs: config.queryTimeoutMs });
  await app.register(userRoutes, { store, metrics });
  return app;
}
