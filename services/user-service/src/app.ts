// The user service as a Fastify app that does not listen: server.ts runs it, tests inject requests or listen on
// port 0. The pool is handed in, not made here, so its owner (the entry file, a test) decides its size and
// closes it.
import type { Logger } from '@backend-rebase/logger';
import { createService, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import type { Config } from './config.js';
import { addUserMetrics } from './metrics.js';
import { userRoutes } from './routes/users.js';
import { UserStore } from './users/user-store.js';

const MAX_PATH_PARAMETER_LENGTH = 1024;

// A lookup costs the database a few microseconds; the round trip around it costs more, on both sides. With two
// lookup statements out, one is on the wire while the service handles the other's answer; more would only
// split the requests waiting meanwhile into smaller batches, and take connections the writes need.
const LOOKUPS_IN_FLIGHT = 2;

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated users database */
  pool: pg.Pool;
}

export async function buildApp(config: Config, { logger, pool }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'user-service',
    logger,
    internalToken: config.INTERNAL_TOKEN,
    // Fastify's router refuses path parameters over 100 characters; an email may have 200. Anything up to this
    // length reaches the schema, so an over-long address gets a 400 that names the rule.
    maxParamLength: MAX_PATH_PARAMETER_LENGTH,
    // Ready while the database answers: a load balancer stops sending requests that could only get a 503.
    database: pool,
  });
  const metrics = addUserMetrics(app.metrics.registry);
  await app.register(userRoutes, {
    store: new UserStore(pool, { lookupsInFlight: Math.min(LOOKUPS_IN_FLIGHT, config.DB_POOL_SIZE) }),
    metrics,
  });
  return app;
}
