// The analytics service as a Fastify app that does not listen: server.ts runs it, tests inject requests or
// listen on port 0. The pool is handed in, not made here, so its owner (the entry file, a test) decides its
// size and closes it — after the app, whose close cancels a refresh of the daily view in flight and waits until
// the server has rolled it back.
import { pingDatabase } from '@backend-rebase/db';
import type { Logger } from '@backend-rebase/logger';
import { addPoolMetrics, createService, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import { loadDashboardAssets } from './dashboard/assets.js';
import { addAnalyticsMetrics } from './metrics.js';
import { ReportStore } from './reports/report-store.js';
import { ViewRefresher } from './reports/view-refresher.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { refreshRoutes } from './routes/refresh.js';
import { reportRoutes } from './routes/reports.js';

// Fastify's router refuses path parameters over 100 characters. A page may have 200 characters, which take up
// to 2,400 once percent-encoded (4 UTF-8 bytes of 3 characters each): anything up to that reaches the schema,
// so an over-long page gets a 400 that names the rule.
const MAX_PATH_PARAMETER_LENGTH = 2_400;

export interface AppConfig {
  /** INTERNAL_TOKEN; unset = /internal/* serves loopback clients only */
  internalToken?: string;
  /** a query without an answer after this long fails with 503; default the pool's (see createPool) */
  queryTimeoutMs?: number;
  /** MV_REFRESH_TIMEOUT_MS: the server cancels a refresh of page_views_daily that runs longer */
  refreshTimeoutMs?: number;
  /**
   * Refresh page_views_daily when the app is ready and then every this many ms (MV_REFRESH_SECONDS);
   * unset = only on POST /internal/refresh.
   */
  refreshIntervalMs?: number;
}

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated analytics database */
  pool: pg.Pool;
}

export async function buildApp(config: AppConfig, { logger, pool }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'analytics-service',
    logger,
    internalToken: config.internalToken,
    maxParamLength: MAX_PATH_PARAMETER_LENGTH,
    // Ready while the database answers: a load balancer stops sending requests that could only get a 503.
    readiness: { database: () => pingDatabase(pool) },
  });
  addPoolMetrics(app.metrics.registry, pool);
  const refresher = new ViewRefresher(pool, {
    logger,
    observer: addAnalyticsMetrics(app.metrics.registry),
    ...(config.refreshTimeoutMs === undefined ? {} : { timeoutMs: config.refreshTimeoutMs }),
  });
  const { refreshIntervalMs } = config;
  if (refreshIntervalMs !== undefined) {
    app.addHook('onReady', (done) => {
      refresher.start(refreshIntervalMs);
      done();
    });
  }
  // preClose, before the server waits for the requests in flight: a POST /internal/refresh among them would
  // otherwise keep the close waiting for the whole refresh.
  app.addHook('preClose', () => refresher.stop());

  const store = new ReportStore(pool, { queryTimeoutMs: config.queryTimeoutMs });
  await app.register(reportRoutes, { store });
  await app.register(refreshRoutes, { refresher });
  await app.register(dashboardRoutes, { assets: await loadDashboardAssets() });
  return app;
}
