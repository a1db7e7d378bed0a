// Runs one query on a database of its own connection, for tests that look at what a migration left behind.
import type pg from 'pg';
import { connectClient } from '../../src/client.js';

export async function rows<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = await connectClient(url);
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
