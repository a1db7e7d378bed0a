// A query with a client-side timeout, optionally as a named statement. A named statement is prepared once per
// connection and then only executed: less parsing and planning on the server for queries that run thousands of
// times a second. The timeout (pg's query_timeout) fails a query whose answer does not come, so a request
// cannot hang on a server that stopped answering; pg then discards the connection. Without `timeoutMs` the
// pool's own applies (createPool: a margin above the server's statement_timeout, which stops the statement).
import type pg from 'pg';

export interface TimedQuery {
  /** Prepares the statement under this name, once per connection. */
  name?: string;
  text: string;
  values?: unknown[];
  /** Keep it above the server's statement_timeout, or the statement runs on after the caller gave up. */
  timeoutMs?: number | undefined;
}

export async function queryRows<Row extends pg.QueryResultRow>(
  queryable: pg.Pool | pg.ClientBase,
  { name, text, values, timeoutMs }: TimedQuery,
): Promise<Row[]> {
  // query_timeout is honoured by pg but missing from its types.
  const config: pg.QueryConfig & { query_timeout?: number } = {
    ...(name === undefined ? {} : { name }),
    text,
    ...(values === undefined ? {} : { values }),
    ...(timeoutMs === undefined ? {} : { query_timeout: timeoutMs }),
  };
  const result = await queryable.query<Row>(config);
  return result.rows;
}
