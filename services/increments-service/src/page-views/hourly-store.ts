// Writes a batch of hourly view counts in ONE statement: a multi-row INSERT … ON CONFLICT that adds to the
// existing buckets. One statement means no explicit transaction and all-or-nothing per batch. The rows go in as
// three arrays (unnest), so a batch of any size is one small statement with three parameters — a VALUES list
// would need three parameters per row and hit PostgreSQL's limit of 65,535 at about 21,000 rows — and unnest
// keeps the arrays' order, which is the order the rows are locked in.
//
// A failed write says whether its views were surely not applied or might have been (FlushFailed.outcome):
// - 'not-counted': no connection could be had, or the server answered the statement with an error (it rolled
//   the statement back: a statement or lock timeout, a constraint, a cancel).
// - 'unknown': the statement was sent and no answer came — the connection broke, or the client stopped waiting.
//   The server may have committed it just before.
// The client's deadline, `timeoutMs`, is set above the server's statement_timeout (FLUSH_TIMEOUT_MS), so on a
// healthy server it is the server that gives up, with an error, and the views are surely not counted. A
// connection that failed is discarded, never returned to the pool.
import pg from 'pg';
import type { HourlyViews } from './group-commit.js';

const UPSERT = `
  INSERT INTO page_views_hourly AS bucket (page, hour, views)
  SELECT page, to_timestamp(epoch_seconds), views
  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS batch(page, epoch_seconds, views)
  ON CONFLICT (page, hour) DO UPDATE SET views = bucket.views + excluded.views`;

export type FlushOutcome = 'not-counted' | 'unknown';

class FlushFailed extends Error {
  constructor(
    readonly outcome: FlushOutcome,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'FlushFailed';
  }
}

/** What a failed flush means for its views; an error that is not a FlushFailed promises nothing. */
export function flushOutcome(error: unknown): FlushOutcome {
  return error instanceof FlushFailed ? error.outcome : 'unknown';
}

/** Adds the rows in one statement, failing with a FlushFailed that says what became of them. */
export async function addHourlyViews(
  pool: pg.Pool,
  rows: readonly HourlyViews[],
  timeoutMs: number,
): Promise<void> {
  const pages = new Array<string>(rows.length);
  const hours = new Array<number>(rows.length);
  const views = new Array<number>(rows.length);
  rows.forEach((row, index) => {
    pages[index] = row.page;
    hours[index] = row.hour / 1000;
    views[index] = row.views;
  });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new FlushFailed('not-counted', `no connection to the analytics database: ${reason(error)}`, {
      cause: error,
    });
  }
  // A connection that breaks while checked out also emits 'error', which would crash the process without a
  // listener; the query in flight rejects with the same error, and that is where it is handled.
  client.on('error', ignoreErrorEvent);
  // query_timeout is honoured by pg but missing from its types.
  const upsert: pg.QueryConfig & { query_timeout: number } = {
    name: 'add-hourly-views',
    text: UPSERT,
    values: [pages, hours, views],
    query_timeout: timeoutMs,
  };
  try {
    await client.query(upsert);
  } catch (error) {
    // Discarded, never back in the pool; it keeps its listener until it is gone.
    client.release(error instanceof Error ? error : true);
    if (answeredWithError(error)) {
      throw new FlushFailed('not-counted', `the statement failed and was rolled back: ${reason(error)}`, {
        cause: error,
      });
    }
    throw new FlushFailed('unknown', `no answer to the statement: ${reason(error)}`, { cause: error });
  }
  client.off('error', ignoreErrorEvent);
  client.release();
}

const ignoreErrorEvent = (): void => undefined;

// An error the server answers the statement with means it rolled the statement back; anything else — a cut
// connection, our timeout, the session ended by an administrator or a crash — may have come after the commit.
// (The severity that tells ERROR from FATAL arrives translated into the server's language, so the classes of
// SQLSTATE that end a session are told apart instead.)
const SESSION_ENDING = /^(08|57P|58|XX)/;

function answeredWithError(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.code !== undefined && !SESSION_ENDING.test(error.code);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
