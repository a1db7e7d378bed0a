// The users table, and nothing about HTTP. Every operation is one SQL statement on a pooled connection, without
// an explicit transaction: a single statement is atomic on its own, and holding a connection across several
// round trips would only make the pool the bottleneck sooner.
//
// Emails are matched with lower(email) = lower($1), the expression of the unique index, so lookups use it and
// A@x.io and a@x.io are the same user. The stored spelling is the one the user was created with.
import { BatchedLookups, queryRows } from '@backend-rebase/db';
import type pg from 'pg';
import { uuidv7 } from 'uuidv7';
import type { PageKey } from './cursor.js';

export interface User {
  id: string;
  email: string;
  fullName: string;
  joinedAt: Date;
}

/** What an upsert did: made a new user, brought a soft-deleted one back, or changed an active one. */
export type UpsertOutcome = 'created' | 'reactivated' | 'updated';

/** What a delete did: marked an active user deleted, or found nothing active to delete. */
export type DeleteOutcome = 'soft_deleted' | 'noop';

export interface UserPage {
  users: User[];
  /** Where the next page starts; null on the last page. */
  nextKey: PageKey | null;
}

interface UserRow {
  id: string;
  email: string;
  full_name: string;
  joined_at: Date;
}

// One statement decides everything. ON CONFLICT on the unique index makes concurrent upserts of one new email
// safe: one inserts, the others wait for it and then update that row. How it went is read from the result:
//   - created: the row carries the id this statement offered ($1). An existing row keeps its own id.
//   - reactivated: the row was soft-deleted before. The subquery reads users as they were when the statement
//     began (a statement never sees its own changes), so it sees the old deleted_since.
// (Were a DELETE of the same email to commit in the instant between the statement's start and its update, the
// outcome would read "updated" although the row was reactivated: the status, 200, and the stored row are the
// same either way; only the log event and the counter differ.)
const UPSERT = `
  INSERT INTO users AS u (id, email, full_name)
  VALUES ($1, $2, $3)
  ON CONFLICT (lower(email)) DO UPDATE
    SET full_name = excluded.full_name, deleted_since = NULL
  RETURNING u.id, u.email, u.full_name, u.joined_at,
    u.id = $1 AS created,
    (SELECT before.deleted_since IS NOT NULL FROM users before WHERE before.id = u.id) AS was_deleted`;

// Lookups come in batches (see findActive): one statement answers a list of emails and says which email each
// row answers. Each email is its own index scan of the unique index (one user per lower(email)): the LIMIT keeps
// the subquery from being flattened into a join, which on a table without statistics yet (just migrated and
// filled) the planner would make a hash join over the whole table.
const FIND_ACTIVE = `
  SELECT k.email AS key, u.id, u.email, u.full_name, u.joined_at
  FROM unnest($1::text[]) AS k(email)
  CROSS JOIN LATERAL (
    SELECT id, email, full_name, joined_at FROM users
    WHERE lower(email) = lower(k.email) AND deleted_since IS NULL
    LIMIT 1
  ) u`;

// Soft delete in one statement that also says whom it concerned: the UPDATE marks an active user; when it
// marked nobody, the second SELECT still finds the id of an already deleted user (for the log), or no row at all.
const SOFT_DELETE = `
  WITH deleted AS (
    UPDATE users SET deleted_since = now()
    WHERE lower(email) = lower($1) AND deleted_since IS NULL
    RETURNING id
  )
  SELECT id, true AS deleted FROM deleted
  UNION ALL
  SELECT id, false AS deleted FROM users
  WHERE lower(email) = lower($1) AND NOT EXISTS (SELECT FROM deleted)`;

// Keyset pagination: each page starts strictly after the (joined_at, id) of the previous page's last user, which
// the partial index on (joined_at, id) WHERE deleted_since IS NULL serves as a short range scan. One row more
// than asked for tells whether there is a next page. joined_at_key keeps the microseconds for the cursor.
const PAGE_COLUMNS = `
  id, email, full_name, joined_at,
  to_char(joined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS joined_at_key`;
const FIRST_PAGE = `
  SELECT ${PAGE_COLUMNS} FROM users
  WHERE deleted_since IS NULL
  ORDER BY joined_at, id
  LIMIT $1`;
const NEXT_PAGE = `
  SELECT ${PAGE_COLUMNS} FROM users
  WHERE deleted_since IS NULL AND (joined_at, id) > ($2::timestamptz, $3::uuid)
  ORDER BY joined_at, id
  LIMIT $1`;

export interface UserStoreOptions {
  /** Lookup statements out at once; lookups made meanwhile wait and go together in the next (BatchedLookups). */
  lookupsInFlight: number;
}

/** Distinct emails in one lookup statement. */
const LOOKUP_BATCH = 100;

export class UserStore {
  private readonly lookups: BatchedLookups<string, User>;

  constructor(
    private readonly pool: pg.Pool,
    { lookupsInFlight }: UserStoreOptions,
  ) {
    this.lookups = new BatchedLookups((emails) => this.findActiveMany(emails), {
      maxInFlight: lookupsInFlight,
      maxBatch: LOOKUP_BATCH,
    });
  }

  async upsert(email: string, fullName: string): Promise<{ user: User; outcome: UpsertOutcome }> {
    const [row] = await this.query<UserRow & { created: boolean; was_deleted: boolean | null }>(
      'users_upsert',
      UPSERT,
      [uuidv7(), email, fullName],
    );
    if (!row) throw new Error('the upsert returned no row');
    const outcome = row.created ? 'created' : row.was_deleted ? 'reactivated' : 'updated';
    return { user: toUser(row), outcome };
  }

  /** The user with this email, unless there is none or it is soft-deleted. */
  async findActive(email: string): Promise<User | null> {
    // Under load, many requests ask at once: they share statements instead of queueing for connections one
    // statement each. Each is still answered by a statement sent after it asked, so it sees every write
    // committed before.
    return (await this.lookups.load(email)) ?? null;
  }

  /** Marks the user deleted when it is active; the id is null when no user ever had this email. */
  async softDelete(email: string): Promise<{ outcome: DeleteOutcome; id: string | null }> {
    const [row] = await this.query<{ id: string; deleted: boolean }>('users_soft_delete', SOFT_DELETE, [
      email,
    ]);
    return { outcome: row?.deleted ? 'soft_deleted' : 'noop', id: row?.id ?? null };
  }

  /** Active users in (joined_at, id) order, starting after `after` (from the start when it is null). */
  async listActive(limit: number, after: PageKey | null): Promise<UserPage> {
    const rows = after
      ? await this.query<UserRow & { joined_at_key: string }>('users_next_page', NEXT_PAGE, [
          limit + 1,
          after.joinedAt,
          after.id,
        ])
      : await this.query<UserRow & { joined_at_key: string }>('users_first_page', FIRST_PAGE, [limit + 1]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      users: page.map(toUser),
      nextKey: rows.length > limit && last ? { joinedAt: last.joined_at_key, id: last.id } : null,
    };
  }

  private async findActiveMany(emails: string[]): Promise<Map<string, User>> {
    const rows = await this.query<UserRow & { key: string }>('users_find_active', FIND_ACTIVE, [emails]);
    return new Map(rows.map((row) => [row.key, toUser(row)]));
  }

  private query<Row extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
  ): Promise<Row[]> {
    return queryRows<Row>(this.pool, { name, text, values });
  }
}

function toUser(row: UserRow): User {
  return { id: row.id, email: row.email, fullName: row.full_name, joinedAt: row.joined_at };
}
