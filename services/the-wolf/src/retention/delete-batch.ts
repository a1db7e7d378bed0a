// One batch: claims the oldest rows (at most `size`) of page_views_hourly with from <= hour < cutoff that no
// writer holds right now, and deletes them, in one plain statement that commits on its own, so a batch never
// holds its row locks for longer than it runs.
//
// Why this shape (the measurements are in docs/analytics-project.md, "The wolf"):
//   - The SELECT walks the index on (hour) from `from` and stops after `size` rows (Index Scan + Limit);
//     the DELETE then visits exactly those heap tuples by their ctid (Tid Scan). No sequential scan, no second
//     lookup through the primary key, which `(page, hour) IN (…)` needed: it hash-aggregated the keys and
//     probed the primary key once per row, several times slower.
//   - `from` is the last hour the previous batch claimed. Without it every batch would start at the beginning
//     of the index and step over the entries of all the rows the pass already deleted: those stay in the index
//     until vacuum, and while any transaction holds an older snapshot they cannot even be skipped cheaply, so
//     each batch would be slower than the one before. It is `>=`, not `>`: rows of that hour beyond the batch's
//     limit are still there.
//   - FOR UPDATE SKIP LOCKED: the wolf never waits for a writer. The increments service accepts views for hours
//     of any age, so a flush may upsert a bucket that a batch is deleting; the two lock rows in different orders
//     (key order, ctid order), and without SKIP LOCKED that deadlocked in measurements, failing the writer's
//     flush. Now only the writer can wait, for at most one batch; the row it holds is left for the next pass.
//     The price is a second WAL record per row (the row lock).
//   - A claimed row that a writer updated just before the claim is locked in its new version, which the DELETE
//     (reading the statement's snapshot) does not see: it stays for the next pass. So a batch may delete fewer
//     rows than it claimed, and `claimed`, not `deleted`, tells whether more old rows are waiting.
import { queryRows } from '@backend-rebase/db';
import type pg from 'pg';

/** Where the first batch of a pass starts: before any hour. */
export const FROM_THE_BEGINNING = '-infinity';

export interface BatchRange {
  from: Date | typeof FROM_THE_BEGINNING;
  cutoff: Date;
  size: number;
}

export interface BatchResult {
  /** Rows the batch locked for deletion; fewer than `size` means none is left that no writer holds. */
  claimed: number;
  deleted: number;
  /** The latest hour this batch claimed; null when it claimed nothing. */
  lastHour: Date | null;
}

// A batch takes milliseconds. One without an answer for this long is on a dead connection (a network cut that
// TCP has not noticed): failing the pass frees the wolf for the next one instead of waiting, possibly for hours.
const BATCH_TIMEOUT_MS = 60_000;

const DELETE_BATCH = `
  WITH claimed AS (
    SELECT ctid, hour FROM page_views_hourly
    WHERE hour >= $1 AND hour < $2
    ORDER BY hour
    LIMIT $3
    FOR UPDATE SKIP LOCKED),
  gone AS (
    DELETE FROM page_views_hourly
    WHERE ctid = ANY (ARRAY(SELECT ctid FROM claimed))
    RETURNING 1)
  SELECT count(*)::int AS claimed, (SELECT count(*)::int FROM gone) AS deleted, max(hour) AS last_hour
  FROM claimed`;

export async function deleteBatch(
  client: pg.ClientBase,
  { from, cutoff, size }: BatchRange,
): Promise<BatchResult> {
  const rows = await queryRows<{ claimed: number; deleted: number; last_hour: Date | null }>(client, {
    text: DELETE_BATCH,
    values: [from, cutoff, size],
    timeoutMs: BATCH_TIMEOUT_MS,
  });
  const row = rows[0] ?? { claimed: 0, deleted: 0, last_hour: null };
  return { claimed: row.claimed, deleted: row.deleted, lastHour: row.last_hour };
}
