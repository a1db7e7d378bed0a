import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../src/history.js';
import type { MigrationFile } from '../src/migration-files.js';
import { planMigrations } from '../src/plan.js';

function file(version: string, checksum = 100): MigrationFile {
  return {
    version,
    description: `step ${version}`,
    script: `V${version}__step_${version}.sql`,
    sql: '',
    checksum,
  };
}

function applied(version: string, overrides: Partial<HistoryRow> = {}): HistoryRow {
  const { description, script, checksum } = file(version);
  return {
    installedRank: 0,
    version,
    description,
    type: 'SQL',
    script,
    checksum,
    success: true,
    ...overrides,
  };
}

describe('planMigrations', () => {
  it('applies everything to an empty database', () => {
    const plan = planMigrations([file('1'), file('2')], []);
    expect(plan.pending.map((m) => m.version)).toEqual(['1', '2']);
    expect(plan.current).toBeNull();
  });

  it('applies only what is newer than the applied versions', () => {
    const plan = planMigrations([file('1'), file('2'), file('3')], [applied('1'), applied('2')]);
    expect(plan.pending.map((m) => m.version)).toEqual(['3']);
    expect(plan.current).toBe('2');
  });

  it('refuses a migration changed after it was applied, naming both checksums', () => {
    expect(() => planMigrations([file('1', 200), file('2')], [applied('1', { checksum: 100 })])).toThrow(
      /V1__step_1\.sql was changed after it was applied: checksum recorded 100, file now 200\. Do not edit/,
    );
  });

  it('refuses a migration renamed after it was applied', () => {
    expect(() => planMigrations([file('1')], [applied('1', { description: 'old name' })])).toThrow(/renamed/);
  });

  it('refuses to go on after a failed migration', () => {
    expect(() =>
      planMigrations([file('1'), file('2')], [applied('1'), applied('2', { success: false })]),
    ).toThrow(/V2__step_2\.sql \(version 2\) failed in an earlier run/);
  });

  it('refuses when an applied migration is missing locally', () => {
    expect(() => planMigrations([file('1'), file('3')], [applied('1'), applied('2'), applied('3')])).toThrow(
      /V2__step_2\.sql \(version 2\) is applied to the database but its file is missing/,
    );
  });

  it('refuses a new migration below the newest applied version', () => {
    expect(() => planMigrations([file('1'), file('1.5'), file('2')], [applied('1'), applied('2')])).toThrow(
      /V1\.5__step_1\.5\.sql \(version 1\.5\) is not applied but older than the applied version 2/,
    );
  });

  it('lists every problem in one error', () => {
    expect(() => planMigrations([file('1', 1), file('1.5')], [applied('1'), applied('2')])).toThrow(
      /changed after it was applied[\s\S]*not applied but older/,
    );
  });

  it('only warns about versions applied by a newer build', () => {
    const plan = planMigrations([file('1'), file('2')], [applied('1'), applied('2'), applied('3')]);
    expect(plan.pending).toEqual([]);
    expect(plan.current).toBe('3');
    expect(plan.warnings).toEqual([expect.stringContaining('version 3') as unknown]);
  });

  it('ignores rows without a version, such as Flyway schema markers', () => {
    const marker = applied('1', { version: null, type: 'SCHEMA', script: '"public"', checksum: null });
    expect(planMigrations([file('1')], [marker]).pending.map((m) => m.version)).toEqual(['1']);
  });

  it('treats 1.0 as the version 1 that was applied', () => {
    expect(planMigrations([file('1.0')], [applied('1', { description: 'step 1.0' })]).pending).toEqual([]);
  });
});
