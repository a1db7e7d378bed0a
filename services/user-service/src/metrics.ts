// The user service's own metrics, beside the kit's HTTP metrics on the app's registry: what happened to users,
// and how busy the database pool is. The pool gauges are read when /metrics is scraped (collect), so they cost
// nothing between scrapes; db_pool_waiting above zero means requests are queueing for a connection.
import type pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeleteOutcome, UpsertOutcome } from './users/user-store.js';

export interface UserMetrics {
  countUpsert(outcome: UpsertOutcome): void;
  countDelete(outcome: DeleteOutcome): void;
}

export function addUserMetrics(registry: Registry, pool: pg.Pool): UserMetrics {
  const registers = [registry];
  const created = new Counter({ name: 'users_created_total', help: 'Users created', registers });
  const reactivated = new Counter({
    name: 'users_reactivated_total',
    help: 'Soft-deleted users brought back by an upsert',
    registers,
  });
  const softDeleted = new Counter({
    name: 'users_soft_deleted_total',
    help: 'Users soft-deleted',
    registers,
  });

  const poolGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  poolGauge('db_pool_total', 'Database connections the pool holds, busy or idle', () => pool.totalCount);
  poolGauge('db_pool_idle', 'Database connections open and free', () => pool.idleCount);
  poolGauge('db_pool_waiting', 'Queries waiting for a free database connection', () => pool.waitingCount);

  return {
    countUpsert(outcome) {
      if (outcome === 'created') created.inc();
      if (outcome === 'reactivated') reactivated.inc();
    },
    countDelete(outcome) {
      if (outcome === 'soft_deleted') softDeleted.inc();
    },
  };
}
