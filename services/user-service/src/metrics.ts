// The user service's own metrics, beside the kit's HTTP and db_pool_* metrics on the app's registry: what
// happened to users.
import { Counter, type Registry } from 'prom-client';
import type { DeleteOutcome, UpsertOutcome } from './users/user-store.js';

export interface UserMetrics {
  countUpsert(outcome: UpsertOutcome): void;
  countDelete(outcome: DeleteOutcome): void;
}

export function addUserMetrics(registry: Registry): UserMetrics {
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
