// The versioned migrations of one directory, as Flyway would see them: files named
// V<version>__<description>.sql, sorted by version, each with its Flyway checksum. A missing directory holds
// no migrations; other files are skipped (with a warning for a .sql file whose name Flyway would not accept
// either); two files with one version are an error.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { flywayChecksum } from './checksum.js';
import type { Logger } from './logger.js';
import { compareVersions } from './version.js';

export interface MigrationFile {
  /** As Flyway records it: underscores in the version become dots ("V1_2" is version "1.2"). */
  version: string;
  /** As Flyway records it: underscores become spaces. */
  description: string;
  /** The file name, recorded in the history table's `script` column. */
  script: string;
  sql: string;
  checksum: number;
}

const VERSIONED_SCRIPT = /^V(\d+(?:[._]\d+)*)__(.*)\.sql$/;

export async function readMigrationFiles(directory: string, logger: Logger): Promise<MigrationFile[]> {
  const migrations: MigrationFile[] = [];
  for (const script of await listFiles(directory)) {
    if (!script.endsWith('.sql')) continue;
    const match = VERSIONED_SCRIPT.exec(script);
    if (!match) {
      logger.warn(`ignoring ${script}: migrations are named V<version>__<description>.sql`, { directory });
      continue;
    }
    const content = await readFile(join(directory, script));
    migrations.push({
      version: match[1]!.replaceAll('_', '.'),
      description: match[2]!.replaceAll('_', ' '),
      script,
      sql: content.toString('utf8').replace(/^\uFEFF/, ''),
      checksum: flywayChecksum(content),
    });
  }
  migrations.sort((a, b) => compareVersions(a.version, b.version));
  migrations.forEach((migration, i) => {
    const previous = migrations[i - 1];
    if (previous && compareVersions(previous.version, migration.version) === 0) {
      throw new Error(
        `${previous.script} and ${migration.script} in ${directory} ` +
          `have the same version ${migration.version}`,
      );
    }
  });
  return migrations;
}

async function listFiles(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(directory, { withFileTypes: true });
    // Sorted so that warnings and errors come out the same on every file system.
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
