// The analytics service's own metrics, beside the kit's HTTP metrics on the app's registry: how the refreshes
// of page_views_daily go. A refresh that another instance was already doing counts as `skipped`; the last
// refresh time lets an alert fire when the view goes stale (e.g. every instance failing to refresh).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RefreshObserver } from './reports/view-refresher.js';

export function addAnalyticsMetrics(registry: Registry): RefreshObserver {
  const registers = [registry];
  const refreshes = new Counter({
    name: 'analytics_view_refreshes_total',
    help: 'Refreshes of page_views_daily attempted by this instance, by outcome (refreshed, skipped, failed)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'analytics_view_refresh_seconds',
    help: 'Time one successful REFRESH MATERIALIZED VIEW CONCURRENTLY page_views_daily took, in seconds',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const lastRefresh = new Gauge({
    name: 'analytics_view_last_refresh_timestamp_seconds',
    help: 'When the last successful refresh by this instance started (its refreshedAt), in Unix seconds',
    registers,
  });
  // Every outcome starts at 0, so rate() and absent-series alerts work before the first refresh.
  for (const outcome of ['refreshed', 'skipped', 'failed']) refreshes.inc({ outcome }, 0);

  return {
    refreshed({ refreshedAt, seconds }) {
      refreshes.inc({ outcome: 'refreshed' });
      duration.observe(seconds);
      lastRefresh.set(refreshedAt.getTime() / 1000);
    },
    skipped() {
      refreshes.inc({ outcome: 'skipped' });
    },
    failed() {
      refreshes.inc({ outcome: 'failed' });
    },
  };
}
