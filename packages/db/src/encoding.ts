// Every database the project uses stores text as UTF-8. A database in another encoding fails late and in ways a
// user cannot read: SQL_ASCII (a server initialised under LC_ALL=C) stores bytes unchecked, so lengths are
// counted in bytes and a 200-character name breaks a CHECK, and LATIN1 refuses most of the world's letters.
// So a service refuses such a database at start-up, with one message that says what to do.
import { connectClient } from './client.js';

export async function assertUtf8Database(url: string): Promise<void> {
  const client = await connectClient(url);
  let encoding: string | undefined;
  try {
    // server_encoding is the encoding of the database the session is connected to.
    const { rows } = await client.query<{ server_encoding: string }>('SHOW server_encoding');
    encoding = rows[0]?.server_encoding;
  } finally {
    await client.end();
  }
  if (encoding === 'UTF8') return;
  throw new Error(
    `the database is in the ${encoding ?? 'unknown'} encoding, not UTF8, so text ` +
      "outside ASCII would be stored wrong: recreate it with CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0. " +
      "With pnpm start's embedded PostgreSQL (made by an older version under LC_ALL=C), stop the stack and delete " +
      '.data/postgres (its data is lost): the next start makes a UTF-8 cluster.',
  );
}
