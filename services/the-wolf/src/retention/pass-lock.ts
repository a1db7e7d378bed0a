// At most one pass at a time per database, whichever wolf runs it: a session-level PostgreSQL advisory lock,
// taken without waiting on the connection that runs the pass's batches. A wolf that finds it taken skips its
// pass (the other one is doing the work). The lock lives in the connection's session, so a wolf that dies or
// loses its connection mid-pass frees it with the session; the wolf discards the connection of a failed pass for
// the same reason, instead of returning it to the pool still holding the lock.
import type pg from 'pg';

// "wolf" in ASCII. Other advisory locks on the analytics database must use other numbers (the migrator's lock is
// Flyway's, 0x466c79776179 plus a hash, far from this one).
export const PASS_LOCK_KEY = 0x776f6c66;

/** True when this session now holds the lock, false when another session holds it. */
export async function tryPassLock(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
    PASS_LOCK_KEY,
  ]);
  return rows[0]?.locked === true;
}

export async function releasePassLock(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [PASS_LOCK_KEY]);
}
