// The rules that need no database: where the cutoff falls, what the configuration accepts, the command line.
import { describe, expect, it, vi } from 'vitest';
import { parseArgumentsOrExit, USAGE } from '../src/arguments.js';
import { loadConfig } from '../src/config.js';
import { retentionCutoff } from '../src/retention/cutoff.js';

describe('retentionCutoff', () => {
  it('is the start of the current UTC hour minus the retention', () => {
    expect(retentionCutoff(new Date('2025-03-10T12:34:56.789Z'), 5)).toEqual(
      new Date('2025-03-10T07:00:00Z'),
    );
    expect(retentionCutoff(new Date('2025-03-10T12:00:00.000Z'), 720)).toEqual(
      new Date('2025-02-08T12:00:00Z'),
    );
    expect(retentionCutoff(new Date('2025-03-10T12:59:59.999Z'), 1)).toEqual(
      new Date('2025-03-10T11:00:00Z'),
    );
  });

  it('counts in UTC whatever the local offset (a half-hour zone)', () => {
    expect(retentionCutoff(new Date('2025-03-10T12:10:00+05:30'), 24)).toEqual(
      new Date('2025-03-09T06:00:00Z'),
    );
  });
});

describe('configuration', () => {
  const load = (env: Record<string, string>) => loadConfig({ env, dotenvPath: '/nonexistent/.env' });

  it('has the contract defaults', () => {
    expect(load({})).toEqual({
      PORT: 3202,
      HOST: '127.0.0.1',
      RETENTION_HOURS: 720,
      WOLF_BATCH_SIZE: 5000,
      WOLF_INTERVAL_SECONDS: 300,
      DB_POOL_SIZE: 2,
      DB_STATEMENT_TIMEOUT_MS: 5000,
      DB_LOCK_TIMEOUT_MS: 2000,
    });
  });

  it('names each variable out of range', () => {
    expect(() =>
      load({
        RETENTION_HOURS: '0',
        WOLF_BATCH_SIZE: '100001',
        WOLF_INTERVAL_SECONDS: '0',
        DB_POOL_SIZE: '1',
      }),
    ).toThrow(
      [
        'Invalid configuration:',
        '  RETENTION_HOURS must be an integer from 1 to 1000000, got "0"',
        '  WOLF_BATCH_SIZE must be an integer from 1 to 100000, got "100001"',
        '  WOLF_INTERVAL_SECONDS must be an integer from 1 to 604800, got "0"',
        '  DB_POOL_SIZE must be an integer from 2 to 100, got "1"',
      ].join('\n'),
    );
  });
});

describe('the command line', () => {
  it('is --once or nothing, also behind the `--` that `pnpm start -- --once` adds', () => {
    expect(parseArgumentsOrExit([])).toEqual({ once: false });
    expect(parseArgumentsOrExit(['--once'])).toEqual({ once: true });
    expect(parseArgumentsOrExit(['--', '--once'])).toEqual({ once: true });
  });

  it('stops the process with the usage on anything else, so a typo never starts the service', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => {
      throw new Error('exited');
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => parseArgumentsOrExit(['--onse'])).toThrow('exited');
      expect(exit).toHaveBeenCalledWith(1);
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining("Unknown option '--onse'"));
      expect(stderr).toHaveBeenCalledWith(expect.stringContaining(USAGE));
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});
