import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  assertDatabaseName,
  databaseUrl,
  ensureDatabase,
  migrationsDir,
  prepareDatabase,
} from '../src/database.js';
import { prepareServiceDatabase } from '../src/service-database.js';
import { testDatabaseName } from '../src/testing/index.js';
import { rows } from './support/sql.js';

const serverUrl = inject('testDatabaseServerUrl');
const created: string[] = [];

afterAll(async () => {
  for (const name of created) await rows(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

function newName(label: string): string {
  const name = testDatabaseName(label);
  created.push(name);
  return name;
}

describe('ensureDatabase', () => {
  it('creates a missing database once, then leaves it alone', async () => {
    const name = newName('ensure once');

    expect(await ensureDatabase(serverUrl, name)).toBe(true);
    await rows(databaseUrl(serverUrl, name), 'CREATE TABLE kept (id int)');
    expect(await ensureDatabase(serverUrl, name)).toBe(false);

    expect(await rows(databaseUrl(serverUrl, name), "SELECT to_regclass('kept')::text AS table")).toEqual([
      { table: 'kept' },
    ]);
  });

  it('succeeds for every one of five concurrent callers, creating the database once', async () => {
    const name = newName('ensure race');

    const results = await Promise.all(Array.from({ length: 5 }, () => ensureDatabase(serverUrl, name)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await rows(serverUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toHaveLength(1);
  });

  it('rejects names that are not plain identifiers, before touching the server', async () => {
    await expect(ensureDatabase(serverUrl, 'users"; DROP DATABASE postgres; --')).rejects.toThrow(
      /invalid database name/,
    );
    expect(() => assertDatabaseName('Users')).toThrow(/invalid database name/);
    expect(() => assertDatabaseName('x'.repeat(64))).toThrow(/invalid database name/);
    expect(() => assertDatabaseName('x'.repeat(63))).not.toThrow();
  });
});

describe('prepareDatabase', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`fixtures/migrations/${name}`, import.meta.url));

  it('creates and migrates the database, and returns its URL', async () => {
    const database = newName('prepare');

    const url = await prepareDatabase({ serverUrl, database, migrationsDir: fixture('ordering') });

    expect(url).toBe(databaseUrl(serverUrl, database));
    expect(await rows(url, 'SELECT count(*)::int AS runs FROM migration_runs')).toEqual([{ runs: 5 }]);
    expect(await prepareDatabase({ serverUrl, database, migrationsDir: fixture('ordering') })).toBe(url);
  });

  it('says which database failed to migrate', async () => {
    const database = newName('prepare failing');

    await expect(prepareDatabase({ serverUrl, database, migrationsDir: fixture('failing') })).rejects.toThrow(
      `database ${database}: Migration V2__broken.sql failed`,
    );
  });
});

describe('the encoding of a database', () => {
  it('is UTF-8 for every database the project creates, and for the test server', async () => {
    const name = newName('utf8');
    await ensureDatabase(serverUrl, name);
    expect(await rows(databaseUrl(serverUrl, name), 'SHOW server_encoding')).toEqual([
      { server_encoding: 'UTF8' },
    ]);
    // The global setup's embedded server is initialised in UTF-8 whatever the locale (CI runs this under LC_ALL=C).
    if (!process.env.TEST_DATABASE_URL) {
      expect(await rows(serverUrl, 'SHOW server_encoding')).toEqual([{ server_encoding: 'UTF8' }]);
    }
  });

  it('refuses a database in another encoding, with one message that says what to do', async () => {
    const name = newName('sql ascii');
    // What a server initialised under LC_ALL=C gives every database by default.
    await rows(
      serverUrl,
      `CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LOCALE_PROVIDER libc LOCALE 'C' TEMPLATE template0`,
    );
    const url = databaseUrl(serverUrl, name);
    const message =
      "the database is in the SQL_ASCII encoding, not UTF8, so text outside ASCII would be stored wrong: recreate it with CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0";

    await expect(
      prepareServiceDatabase({ database: 'users', variable: 'USERS_DATABASE_URL', databaseUrl: url }),
    ).rejects.toThrow(message);
    await expect(
      prepareDatabase({
        serverUrl,
        database: name,
        migrationsDir: fileURLToPath(new URL('fixtures/migrations/ordering', import.meta.url)),
      }),
    ).rejects.toThrow(`database ${name}: ${message}`);
    // Refused before any migration ran.
    expect(await rows(url, "SELECT to_regclass('flyway_schema_history')::text AS history")).toEqual([
      { history: null },
    ]);
  });
});

describe('databaseUrl', () => {
  it('replaces the database and keeps credentials, host, port and query', () => {
    expect(databaseUrl('postgres://app:s%40cret@db.internal:6543/postgres?sslmode=require', 'users')).toBe(
      'postgres://app:s%40cret@db.internal:6543/users?sslmode=require',
    );
  });

  it('adds the database to a URL without one', () => {
    expect(databaseUrl('postgresql://127.0.0.1:5433', 'analytics')).toBe(
      'postgresql://127.0.0.1:5433/analytics',
    );
  });
});

describe('migrationsDir', () => {
  it("points at the repository's migrations folder", () => {
    expect(migrationsDir('users')).toBe(fileURLToPath(new URL('../../../migrations/users', import.meta.url)));
  });

  it('refuses a name that would leave that folder', () => {
    expect(() => migrationsDir('../etc')).toThrow(/invalid database name/);
  });
});
