import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { flywayChecksum } from '../src/checksum.js';
import { readMigrationFiles } from '../src/migration-files.js';
import { recordingLogger } from './support/recording-logger.js';

const ordering = fileURLToPath(new URL('fixtures/migrations/ordering', import.meta.url));

describe('readMigrationFiles', () => {
  it('sorts by version and records versions and descriptions the way Flyway does', async () => {
    const files = await readMigrationFiles(ordering, recordingLogger());
    expect(files.map(({ version, description, script }) => ({ version, description, script }))).toEqual([
      { version: '1', description: 'create migration runs', script: 'V1__create_migration_runs.sql' },
      { version: '1.2', description: 'minor step', script: 'V1.2__minor_step.sql' },
      { version: '1.10', description: 'later minor step', script: 'V1_10__later_minor_step.sql' },
      { version: '2', description: 'second', script: 'V2__second.sql' },
      { version: '10', description: 'tenth', script: 'V10__tenth.sql' },
    ]);
    expect(files[0]?.checksum).toBe(flywayChecksum(files[0]?.sql ?? ''));
  });

  it('warns about .sql files not named like migrations, and says nothing about other files', async () => {
    const logger = recordingLogger();
    await readMigrationFiles(ordering, logger);
    expect(logger.messages).toEqual([
      { level: 'warn', msg: expect.stringContaining('notes.sql') as unknown },
    ]);
  });

  it('finds no migrations in a directory that does not exist', async () => {
    expect(await readMigrationFiles(join(ordering, 'missing'), recordingLogger())).toEqual([]);
  });

  it('rejects two files with the same version', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      await cp(ordering, directory, { recursive: true });
      await writeFile(join(directory, 'V2.0__same_as_two.sql'), 'SELECT 1;\n');
      await expect(readMigrationFiles(directory, recordingLogger())).rejects.toThrow(
        /V2\.0__same_as_two\.sql and V2__second\.sql .* have the same version 2/,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
