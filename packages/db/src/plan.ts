// Decides what a migration run does, before it touches anything, with the checks of Flyway's default
// `validateOnMigrate`: every applied migration must still exist unchanged, nothing may have failed, and
// nothing may be slipped in below what is already applied. The one tolerance is Flyway's too: versions
// applied by a newer build, above every local file, only warn, so an older build can still run against a
// newer schema.
import { HISTORY_TABLE, type HistoryRow } from './history.js';
import type { MigrationFile } from './migration-files.js';
import { compareVersions, newestVersion } from './version.js';

export interface MigrationPlan {
  /** Migrations to apply, in order. */
  pending: MigrationFile[];
  /** The newest applied version before this run. */
  current: string | null;
  warnings: string[];
}

/** Throws one error listing every problem found, so a single run shows everything there is to fix. */
export function planMigrations(files: MigrationFile[], history: HistoryRow[]): MigrationPlan {
  const problems: string[] = [];
  const warnings: string[] = [];
  const versioned = history.filter((row): row is HistoryRow & { version: string } => row.version !== null);
  const applied = versioned.filter((row) => row.success);
  const newestFile = files.at(-1)?.version ?? null;
  const current = newestVersion(applied.map((row) => row.version));

  for (const row of versioned.filter((row) => !row.success)) {
    problems.push(
      `${row.script} (version ${row.version}) failed in an earlier run and is recorded with ` +
        `success = false in ${HISTORY_TABLE}: undo what it did, delete that row, then migrate again`,
    );
  }

  for (const row of applied) {
    const file = files.find((candidate) => compareVersions(candidate.version, row.version) === 0);
    if (!file) {
      if (newestFile !== null && compareVersions(row.version, newestFile) < 0) {
        problems.push(
          `${row.script} (version ${row.version}) is applied to the database but its file is missing`,
        );
      } else {
        warnings.push(
          `${row.script} (version ${row.version}) is applied but newer than every local migration: ` +
            `this build is older than the database schema`,
        );
      }
    } else if (row.type === 'SQL' && row.checksum !== file.checksum) {
      problems.push(
        `${file.script} was changed after it was applied: checksum recorded ${String(row.checksum)}, ` +
          `file now ${file.checksum}. Do not edit an applied migration: ` +
          'restore it and put the change in a new one',
      );
    } else if (row.type === 'SQL' && row.description !== file.description) {
      problems.push(
        `${file.script} was renamed after it was applied: description recorded "${row.description}", ` +
          `file now "${file.description}"`,
      );
    }
  }

  const pending = files.filter(
    (file) => !applied.some((row) => compareVersions(row.version, file.version) === 0),
  );
  for (const file of pending) {
    if (current !== null && compareVersions(file.version, current) < 0) {
      problems.push(
        `${file.script} (version ${file.version}) is not applied ` +
          `but older than the applied version ${current}: give it a version above ${current}`,
      );
    }
  }

  if (problems.length > 0) {
    throw new Error(`Migrations do not match the database:\n- ${problems.join('\n- ')}`);
  }
  return { pending, current, warnings };
}
