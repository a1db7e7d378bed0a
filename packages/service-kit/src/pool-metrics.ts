// How busy a service's database pool is, as gauges read when /metrics is scraped (collect), so they cost
// nothing between scrapes. db_pool_waiting above zero means requests are queueing for a connection. Any pool
// with pg.Pool's three counters fits; the kit does not depend on pg.
import { Gauge, type Registry } from 'prom-client';

export interface CountedPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export function addPoolMetrics(registry: Registry, pool: CountedPool): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('db_pool_total', 'Database connections the pool holds, busy or idle', () => pool.totalCount);
  gauge('db_pool_idle', 'Database connections open and free', () => pool.idleCount);
  gauge('db_pool_waiting', 'Queries waiting for a free database connection', () => pool.waitingCount);
}
