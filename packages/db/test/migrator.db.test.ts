import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, type TestContext } from 'vitest';
import { flywayChecksum } from '../src/checksum.js';
import { migrate, type MigrateResult } from '../src/migrator.js';
import { createPool } from '../src/pool.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { recordingLogger } from './support/recording-logger.js';
import { rows } from './support/sql.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/migrations/${name}`, import.meta.url));

type OnTestFinished = TestContext['onTestFinished'];

// Every test migrates a database of its own: the history table is the state under test. (The tests run side by
// side, so clean-up is registered through each test's own context: the global hook cannot tell them apart.)
async function freshDatabase(label: string, onTestFinished: OnTestFinished): Promise<TestDatabase> {
  const database = await createTestDatabase(label);
  onTestFinished(() => database.drop());
  return database;
}

// A copy of a fixture directory that the test may edit.
async function copyOf(name: string, onTestFinished: OnTestFinished): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), `migrations-${name}-`));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  await cp(fixture(name), directory, { recursive: true });
  return directory;
}

async function historyCount(url: string): Promise<number> {
  const [row] = await rows<{ count: number }>(
    url,
    'SELECT count(*)::int AS count FROM flyway_schema_history',
  );
  return row?.count ?? 0;
}

const orderedScripts = [
  { version: '1', description: 'create migration runs', script: 'V1__create_migration_runs.sql' },
  { version: '1.2', description: 'minor step', script: 'V1.2__minor_step.sql' },
  { version: '1.10', description: 'later minor step', script: 'V1_10__later_minor_step.sql' },
  { version: '2', description: 'second', script: 'V2__second.sql' },
  { version: '10', description: 'tenth', script: 'V10__tenth.sql' },
];

// Side by side: each test has a database of its own, and most of their time is waiting on the server (the race
// tests sleep on purpose in a migration).
describe.concurrent('migrate', () => {
  it('applies migrations in numeric version order and records each as Flyway does', async ({
    onTestFinished,
  }) => {
    const database = await freshDatabase('migrator order', onTestFinished);

    const result = await migrate({ connectionString: database.url, directory: fixture('ordering') });

    expect(result).toEqual({ applied: orderedScripts, current: '10' });
    const runs = await rows(database.url, 'SELECT version FROM migration_runs ORDER BY id');
    expect(runs.map((run) => run.version)).toEqual(['1', '1.2', '1.10', '2', '10']);

    const [{ user } = { user: '' }] = await rows<{ user: string }>(
      database.url,
      'SELECT current_user AS user',
    );
    const history = await rows(database.url, 'SELECT * FROM flyway_schema_history ORDER BY installed_rank');
    const expected = await Promise.all(
      orderedScripts.map(async ({ version, description, script }, i) => ({
        installed_rank: i + 1,
        version,
        description,
        type: 'SQL',
        script,
        checksum: flywayChecksum(await readFile(join(fixture('ordering'), script))),
        installed_by: user,
        installed_on: expect.any(Date) as unknown,
        execution_time: expect.any(Number) as unknown,
        success: true,
      })),
    );
    expect(history).toEqual(expected);
  });

  it("creates the history table with Flyway's exact layout", async ({ onTestFinished }) => {
    const database = await freshDatabase('migrator layout', onTestFinished);

    await migrate({ connectionString: database.url, directory: fixture('ordering') });

    const columns = await rows(
      database.url,
      `SELECT column_name AS name, data_type AS type, character_maximum_length AS length,
              is_nullable = 'YES' AS nullable, column_default AS default
       FROM information_schema.columns WHERE table_name = 'flyway_schema_history' ORDER BY ordinal_position`,
    );
    const column = (
      name: string,
      type: string,
      length: number | null,
      nullable = false,
      defaultValue = null,
    ) => ({
      name,
      type,
      length,
      nullable,
      default: defaultValue,
    });
    expect(columns).toEqual([
      column('installed_rank', 'integer', null),
      column('version', 'character varying', 50, true),
      column('description', 'character varying', 200),
      column('type', 'character varying', 20),
      column('script', 'character varying', 1000),
      column('checksum', 'integer', null, true),
      column('installed_by', 'character varying', 100),
      { ...column('installed_on', 'timestamp without time zone', null), default: 'now()' },
      column('execution_time', 'integer', null),
      column('success', 'boolean', null),
    ]);
    const indexes = await rows(
      database.url,
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
       WHERE tablename = 'flyway_schema_history' ORDER BY indexname`,
    );
    expect(indexes).toEqual([
      {
        name: 'flyway_schema_history_pk',
        definition: expect.stringMatching(/UNIQUE .*\(installed_rank\)/) as unknown,
      },
      {
        name: 'flyway_schema_history_s_idx',
        definition: expect.stringMatching(/btree \(success\)/) as unknown,
      },
    ]);
  });

  it('applies nothing when run again, and records installedBy', async ({ onTestFinished }) => {
    const database = await freshDatabase('migrator rerun', onTestFinished);
    const options = {
      connectionString: database.url,
      directory: fixture('ordering'),
      installedBy: 'deploy-bot',
    };

    await migrate(options);
    expect(await migrate(options)).toEqual({ applied: [], current: '10' });

    const installers = await rows(database.url, 'SELECT DISTINCT installed_by FROM flyway_schema_history');
    expect(installers).toEqual([{ installed_by: 'deploy-bot' }]);
    expect(await historyCount(database.url)).toBe(5);
  });

  it('refuses to run, applying nothing, when an applied migration was edited', async ({ onTestFinished }) => {
    const database = await freshDatabase('migrator edited', onTestFinished);
    const directory = await copyOf('ordering', onTestFinished);
    await migrate({ connectionString: database.url, directory });
    const before = flywayChecksum(await readFile(join(directory, 'V2__second.sql')));

    await appendFile(
      join(directory, 'V2__second.sql'),
      "INSERT INTO migration_runs (version) VALUES ('2 again');\n",
    );
    await writeFile(join(directory, 'V11__new_table.sql'), 'CREATE TABLE added_later (id int);\n');
    const after = flywayChecksum(await readFile(join(directory, 'V2__second.sql')));

    const error = await migrate({ connectionString: database.url, directory }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(
      `V2__second.sql was changed after it was applied: checksum recorded ${before}, file now ${after}`,
    );
    expect((error as Error).message).toContain('Do not edit an applied migration');
    expect(await historyCount(database.url)).toBe(5);
    expect(await rows(database.url, "SELECT to_regclass('added_later') AS table")).toEqual([{ table: null }]);
  });

  it('rolls a failing migration back entirely, names it, and keeps the ones before it', async ({
    onTestFinished,
  }) => {
    const database = await freshDatabase('migrator failing', onTestFinished);
    const directory = await copyOf('failing', onTestFinished);

    await expect(migrate({ connectionString: database.url, directory })).rejects.toThrow(
      'Migration V2__broken.sql failed at line 4: relation "missing_table" does not exist',
    );

    const history = await rows(database.url, 'SELECT script, success FROM flyway_schema_history');
    expect(history).toEqual([{ script: 'V1__create_accounts.sql', success: true }]);
    expect(await rows(database.url, "SELECT to_regclass('half_built') AS table")).toEqual([{ table: null }]);
    expect(await rows(database.url, 'SELECT id FROM accounts')).toEqual([{ id: 1 }]);

    // Nothing is left locked or half-recorded: once the script is fixed, the next run applies it.
    await writeFile(join(directory, 'V2__broken.sql'), 'CREATE TABLE half_built (id int);\n');
    const result = await migrate({ connectionString: database.url, directory });
    expect(result.applied.map((m) => m.script)).toEqual(['V2__broken.sql']);
  });

  it('applies each migration exactly once when two migrators start at the same time', async ({
    onTestFinished,
  }) => {
    const database = await freshDatabase('migrator race', onTestFinished);
    const pool = createPool({ connectionString: database.url, max: 2 });
    onTestFinished(() => pool.end());
    const directory = fixture('concurrent');

    const results = await Promise.all([
      migrate({ pool, directory }),
      migrate({ connectionString: database.url, directory }),
    ]);

    await expectAppliedOnce(database, results);
    // In this database only: the other tests, running alongside, take and release the lock in theirs.
    const advisoryLocks = await rows(
      database.url,
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(advisoryLocks).toEqual([]);
  });

  it('applies each migration exactly once when two processes migrate at the same time', async ({
    onTestFinished,
  }) => {
    const database = await freshDatabase('migrator processes', onTestFinished);
    const script = fileURLToPath(new URL('support/migrate-process.ts', import.meta.url));
    const run = async () => {
      const args = ['--import', 'tsx', script, database.url, fixture('concurrent')];
      const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot });
      return JSON.parse(stdout) as MigrateResult;
    };

    await expectAppliedOnce(database, await Promise.all([run(), run()]));
  });

  it('treats a missing directory as no migrations', async ({ onTestFinished }) => {
    const database = await freshDatabase('migrator missing dir', onTestFinished);

    const result = await migrate({ connectionString: database.url, directory: fixture('does-not-exist') });

    expect(result).toEqual({ applied: [], current: null });
  });

  it('only warns when the database has versions newer than every local migration', async ({
    onTestFinished,
  }) => {
    const database = await freshDatabase('migrator older build', onTestFinished);
    await migrate({ connectionString: database.url, directory: fixture('ordering') });
    const olderBuild = await copyOf('ordering', onTestFinished);
    await rm(join(olderBuild, 'V10__tenth.sql'));
    const logger = recordingLogger();

    const result = await migrate({ connectionString: database.url, directory: olderBuild, logger });

    expect(result).toEqual({ applied: [], current: '10' });
    expect(logger.messages).toContainEqual({
      level: 'warn',
      msg: expect.stringContaining(
        'V10__tenth.sql (version 10) is applied but newer than every local migration',
      ) as unknown,
    });
  });
});

async function expectAppliedOnce(database: TestDatabase, results: MigrateResult[]): Promise<void> {
  const scripts = ['V1__create_applied_count.sql', 'V2__slow_step.sql', 'V3__last_step.sql'];
  expect(results.flatMap((result) => result.applied.map((m) => m.script)).sort()).toEqual(scripts);
  expect(results.map((result) => result.current)).toEqual(['3', '3']);
  expect(await rows(database.url, 'SELECT step FROM applied_count ORDER BY step')).toEqual([
    { step: 1 },
    { step: 2 },
    { step: 3 },
  ]);
  const history = await rows(
    database.url,
    'SELECT installed_rank, script FROM flyway_schema_history ORDER BY 1',
  );
  expect(history).toEqual(scripts.map((script, i) => ({ installed_rank: i + 1, script })));
}
