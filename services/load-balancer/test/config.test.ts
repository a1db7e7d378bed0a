// The balancer's settings as a user writes them: the replication defaults of the contract, the derived defaults
// (WRITE_QUORUM from REPLICATION_FACTOR, BALANCER_ID from the host and port), and one message per broken rule.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { configProblems } from '@backend-rebase/service-kit/testing';
import { loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) =>
  loadConfig({ env: { ...env }, dotenvPath: '/nonexistent/.env' });
const problemsFor = (env: Record<string, string>) => configProblems(() => load(env));

describe('load balancer settings', () => {
  it('defaults to two copies, a quorum of both, and a balancer id from the host and port', () => {
    expect(load({})).toMatchObject({
      PORT: 3000,
      REPLICATION_FACTOR: 2,
      WRITE_QUORUM: 2,
      BALANCER_ID: `${hostname()}:3000`,
      TOMBSTONE_TTL: 7 * 24 * 3_600_000,
      REBALANCE_CONCURRENCY: 4,
      REBALANCE_INTERVAL_MS: 300_000,
      REBALANCE_START_DELAY_MS: 15_000,
    });
    expect(load({ PORT: '3100' }).BALANCER_ID).toBe(`${hostname()}:3100`);
  });

  it('takes WRITE_QUORUM from REPLICATION_FACTOR unless it is set', () => {
    expect(load({ REPLICATION_FACTOR: '3' })).toMatchObject({ REPLICATION_FACTOR: 3, WRITE_QUORUM: 3 });
    expect(load({ REPLICATION_FACTOR: '3', WRITE_QUORUM: '2' })).toMatchObject({ WRITE_QUORUM: 2 });
    expect(load({ BALANCER_ID: '7', TOMBSTONE_TTL: '1m' })).toMatchObject({
      BALANCER_ID: '7',
      TOMBSTONE_TTL: 60_000,
    });
  });

  it('refuses a WRITE_QUORUM above REPLICATION_FACTOR, naming both', () => {
    const problems = problemsFor({ REPLICATION_FACTOR: '2', WRITE_QUORUM: '3' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('WRITE_QUORUM (3)');
    expect(problems[0]).toContain('REPLICATION_FACTOR (2)');
  });

  it('refuses a tombstone TTL under a minute', () => {
    expect(problemsFor({ TOMBSTONE_TTL: '59s' })).toEqual([
      expect.stringContaining('TOMBSTONE_TTL must be at least 1m, got 59000ms') as string,
    ]);
  });

  it('names every variable out of range at once', () => {
    const problems = problemsFor({
      REPLICATION_FACTOR: '11',
      WRITE_QUORUM: '0',
      TOMBSTONE_TTL: '7 days',
      REBALANCE_CONCURRENCY: '65',
      REBALANCE_INTERVAL_MS: '999',
    });
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'REPLICATION_FACTOR',
      'WRITE_QUORUM',
      'TOMBSTONE_TTL',
      'REBALANCE_CONCURRENCY',
      'REBALANCE_INTERVAL_MS',
    ]);
    expect(problems[0]).toBe('REPLICATION_FACTOR must be an integer from 1 to 10, got "11"');
  });
});
