// What a service with a database gets from createService({ database: pool }): a `database` readiness check (a
// ping with its own deadline, so /ready answers 503 naming the database rather than hanging on a dead server)
// and the db_pool_* gauges of pool-metrics.ts. The kit does not depend on pg: any pool with pg.Pool's query and
// counters fits.
import { addPoolMetrics, type CountedPool } from './pool-metrics.js';
import type { Service } from './service.js';

export interface DatabasePool extends CountedPool {
  query(config: { text: string; query_timeout?: number }): Promise<unknown>;
}

export function wireDatabase(app: Service, pool: DatabasePool, pingTimeoutMs: number): void {
  app.addReadinessCheck('database', () => pingDatabase(pool, pingTimeoutMs));
  addPoolMetrics(app.metrics.registry, pool);
}

async function pingDatabase(pool: DatabasePool, timeoutMs: number): Promise<void> {
  // query_timeout (honoured by pg) discards the connection of a ping that never answers, so pings against a
  // hung server do not pile up holding connections.
  await pool.query({ text: 'SELECT 1', query_timeout: timeoutMs });
}
