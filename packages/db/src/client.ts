// One connection outside any pool, for short administrative work (creating databases, migrating). It fails
// fast when the server is unreachable, and a connection that breaks cannot crash the process.
import pg from 'pg';

// When a connection breaks, the query in flight already rejects with the error; the 'error' event the client
// emits as well would only crash the process, for want of a listener.
export const ignoreErrorEvent = (): void => undefined;

export async function connectClient(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  client.on('error', ignoreErrorEvent);
  await client.connect();
  return client;
}
