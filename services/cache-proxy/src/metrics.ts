// The cache's metrics (docs/cache-proxy.md), beside the kit's HTTP metrics. Every value is read
// from the cache when Prometheus scrapes, so the metrics and GET /internal/cache can never disagree.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CacheStats, ResponseCache } from './cache/response-cache.js';

export function addCacheMetrics(registry: Registry, cache: ResponseCache): void {
  const fromStats = (
    Kind: typeof Counter | typeof Gauge,
    name: string,
    help: string,
    field: keyof CacheStats,
  ) => {
    new Kind({
      name,
      help,
      registers: [registry],
      collect(this: Counter | Gauge) {
        this.reset();
        this.inc(cache.stats()[field]);
      },
    });
  };
  fromStats(Counter, 'cache_hits_total', 'GET/HEAD requests answered from the cache', 'hits');
  fromStats(Counter, 'cache_misses_total', 'GET/HEAD requests that went upstream', 'misses');
  fromStats(Counter, 'cache_collapsed_total', 'Misses answered by a concurrent request’s fetch', 'collapsed');
  fromStats(
    Counter,
    'cache_evictions_total',
    'Entries pushed out by MAX_ITEMS_IN_CACHE or CACHE_MAX_BYTES',
    'evictions',
  );
  fromStats(Gauge, 'cache_items', 'Entries held', 'items');
  fromStats(Gauge, 'cache_bytes', 'Bytes held by the entries (body, headers, key, fixed overhead)', 'bytes');
  fromStats(Gauge, 'cache_fill_bytes', 'Bytes of CACHE_MAX_BYTES reserved by fills in flight', 'fillBytes');
}
