// The analytics service as a Fastify app that does not listen: server.ts runs it, tests inject requests or
// listen on port 0. Once it listens it refreshes the daily view at once and then every MV_REFRESH_SECONDS. The
// pool is handed in, not made here, so its owner (the entry file, a test) decides its size and closes it —
// after the app, whose close cancels a refresh of the daily view in flight and waits until the server has
// rolled it back.
import type { Logger } from '@backend-rebase/logger';
import { addPeriodicJob, createService, type Clock, type Service } from '@backend-rebase/service-kit';
import type pg from 'pg';
import type { Config } from './config.js';
import { loadDashboardAssets } from './dashboard/assets.js';
import { addAnalyticsMetrics } from './metrics.js';
import { ReportStore } from './reports/report-store.js';
import { RefreshCancelled, ViewRefresher } from './reports/view-refresher.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { refreshRoutes } from './routes/refresh.js';
import { reportRoutes } from './routes/reports.js';

// Fastify's router refuses path parameters over 100 characters. A page may have 200 characters, which take up
// to 2,400 once percent-encoded (4 UTF-8 bytes of 3 characters each): anything up to that reaches the schema,
// so an over-long page gets a 400 that names the rule.
const MAX_PATH_PARAMETER_LENGTH = 2_400;

export interface AppDeps {
  logger: Logger;
  /** a pool on the migrated analytics database */
  pool: pg.Pool;
  /** the clock the reports' `now` and today default to */
  now?: Clock;
}

export async function buildApp(config: Config, { logger, pool, now = Date.now }: AppDeps): Promise<Service> {
  const app = await createService({
    name: 'analytics-service',
    logger,
    internalToken: config.INTERNAL_TOKEN,
    maxParamLength: MAX_PATH_PARAMETER_LENGTH,
    // Ready while the database answers: a load balancer stops sending requests that could only get a 503.
    database: pool,
  });
  const refresher = new ViewRefresher(pool, {
    logger,
    observer: addAnalyticsMetrics(app.metrics.registry),
    timeoutMs: config.MV_REFRESH_TIMEOUT_MS,
  });
  // Start to start: the view is at most one interval stale, however long a refresh takes. Closing the app
  // aborts the signal, which cancels the refresh under way on the server.
  addPeriodicJob(app, {
    name: 'refresh-daily-view',
    intervalMs: config.MV_REFRESH_SECONDS * 1000,
    runAtStart: true,
    spacing: 'start-to-start',
    async run(signal) {
      try {
        await refresher.refresh({ signal });
      } catch (error) {
        // A cancelled refresh is the shutdown, logged where it was cancelled.
        if (!(error instanceof RefreshCancelled)) {
          logger.error('refreshing page_views_daily failed; retrying at the next interval', { err: error });
        }
        throw error;
      }
    },
  });
  // preClose, before the server waits for the requests in flight: a POST /internal/refresh among them would
  // otherwise keep the close waiting for the whole refresh.
  app.addHook('preClose', () => refresher.stop());

  await app.register(reportRoutes, { store: new ReportStore(pool), now });
  await app.register(refreshRoutes, { refresher });
  await app.register(dashboardRoutes, { assets: await loadDashboardAssets() });
  return app;
}
