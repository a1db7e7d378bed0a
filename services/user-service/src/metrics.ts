// The user service's own metrics, beside the kit's HTTP metrics on the app's registry: what happened to users,
// and how busy the database pool is (the kit's db_pool_* gauges).
import type pg from 'pg';
import { addPoolMetrics } from '@backend-rebase/service-kit';
import { Counter, type Registry } from 'prom-client';
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

  addPoolMetrics(registry, pool);

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
