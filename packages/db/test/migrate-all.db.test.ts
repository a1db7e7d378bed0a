// migrateAll (what `pnpm start` and the containers' migrate command run) and the migrate command itself: every
// folder of migrations is applied to its database — created on the server when it has no variable of its own,
// used where <NAME>_DATABASE_URL points otherwise — a second run applies nothing, and the command exits 0 when
// everything is migrated and 1, naming the database, when anything is not.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { databaseUrl, ensureDatabase } from '../src/database.js';
import { migrateAll } from '../src/migrate-all.js';
import { testDatabaseName } from '../src/testing/index.js';
import { rows } from './support/sql.js';

const serverUrl = inject('testDatabaseServerUrl');
const created: string[] = [];
let root = '';

function newName(label: string): string {
  const name = testDatabaseName(label);
  created.push(name);
  return name;
}

/** A migrations root with one folder per database, each creating a table named after its database. */
async function migrationsRoot(names: string[], sql = (name: string) => `CREATE TABLE ${name}_t (id int);`) {
  const dir = await mkdtemp(path.join(root, 'migrations-'));
  for (const name of names) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'V1__create.sql'), sql(name));
  }
  return dir;
}

const history = (url: string) =>
  rows<{ script: string }>(url, 'SELECT script FROM flyway_schema_history ORDER BY installed_rank');

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'migrate-all-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  for (const name of created) await rows(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

describe('migrateAll', () => {
  it('creates each database on the server, migrates it, and applies nothing the second time', async () => {
    const names = [newName('all a'), newName('all b')].sort();
    const dir = await migrationsRoot(names);

    expect(await migrateAll({ migrationsRoot: dir, serverUrl, env: {} })).toEqual(
      names.map((name) => ({ name })),
    );
    await migrateAll({ migrationsRoot: dir, serverUrl, env: {} });

    for (const name of names) {
      expect(await history(databaseUrl(serverUrl, name))).toEqual([{ script: 'V1__create.sql' }]);
    }
  });

  it('migrates a database with a URL of its own where it points', async () => {
    const name = newName('own');
    const elsewhere = newName('own target');
    await ensureDatabase(serverUrl, elsewhere);
    const dir = await migrationsRoot([name]);
    const variable = `${name.toUpperCase()}_DATABASE_URL`;

    const migrated = await migrateAll({
      migrationsRoot: dir,
      env: { [variable]: databaseUrl(serverUrl, elsewhere) },
    });

    expect(migrated).toEqual([{ name, variable }]);
    expect(await history(databaseUrl(serverUrl, elsewhere))).toEqual([{ script: 'V1__create.sql' }]);
    expect(await rows(serverUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toEqual([]);
  });

  it('refuses a database it has no URL for, saying which variables would do', async () => {
    const name = newName('nowhere');
    const dir = await migrationsRoot([name]);
    await expect(migrateAll({ migrationsRoot: dir, env: {} })).rejects.toThrow(
      `database ${name}: set DATABASE_URL (a PostgreSQL server, where it is created when missing) or ` +
        `${name.toUpperCase()}_DATABASE_URL (the database itself)`,
    );
  });

  it('refuses a URL that is not a PostgreSQL one, naming its variable, before connecting anywhere', async () => {
    const name = newName('badurl');
    const dir = await migrationsRoot([name]);
    await expect(migrateAll({ migrationsRoot: dir, serverUrl: 'not-a-url', env: {} })).rejects.toThrow(
      'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database; got "not-a-url"',
    );
    const variable = `${name.toUpperCase()}_DATABASE_URL`;
    await expect(
      migrateAll({ migrationsRoot: dir, env: { [variable]: 'http://user:secret@example.com/db' } }),
    ).rejects.toThrow(`${variable} must be a PostgreSQL URL`);
  });

  it('stops at a failing migration, naming its database', async () => {
    const name = newName('broken');
    const dir = await migrationsRoot([name], () => 'CREATE TABLE broken (id nonsense_type);');
    await expect(migrateAll({ migrationsRoot: dir, serverUrl, env: {} })).rejects.toThrow(
      new RegExp(`^database ${name}: Migration V1__create.sql failed`),
    );
  });
});

describe('the migrate command', () => {
  const cli = fileURLToPath(new URL('../src/migrate-cli.ts', import.meta.url));
  const run = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', cli], {
      env: { PATH: process.env.PATH ?? '', ...env },
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it("applies the repository's migrations to each database's own URL and exits 0", async () => {
    const users = newName('cli users');
    const analytics = newName('cli analytics');
    await ensureDatabase(serverUrl, users);
    await ensureDatabase(serverUrl, analytics);

    const result = await run({
      USERS_DATABASE_URL: databaseUrl(serverUrl, users),
      ANALYTICS_DATABASE_URL: databaseUrl(serverUrl, analytics),
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('database \\"users\\" is migrated');
    expect(await history(databaseUrl(serverUrl, users))).toEqual([{ script: 'V1__create_users.sql' }]);
    expect(await history(databaseUrl(serverUrl, analytics))).toEqual([
      { script: 'V1__create_page_views.sql' },
    ]);
  });

  it('exits 1, naming the database, when one cannot be migrated', async () => {
    const users = newName('cli unreachable');
    await ensureDatabase(serverUrl, users);
    const result = await run({
      USERS_DATABASE_URL: databaseUrl(serverUrl, users),
      // A port nothing listens on.
      ANALYTICS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/analytics',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('migration failed: database analytics (ANALYTICS_DATABASE_URL)');
  });
});
