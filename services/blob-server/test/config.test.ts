// The blob server's settings as a user writes them: defaults from the contract, sizes with units, and a clear
// message naming every variable that is wrong.
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProblems } from '@backend-rebase/service-kit/testing';
import { loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) =>
  loadConfig({ env: { ...env }, dotenvPath: '/nonexistent/.env' });

const problemsFor = (env: Record<string, string>) => configProblems(() => load(env));

describe('blob server settings', () => {
  it('defaults to the contract', () => {
    const config = load({});
    expect(config).toMatchObject({
      PORT: 3001,
      HOST: '0.0.0.0',
      MAX_LENGTH: 10 * 1024 * 1024,
      MAX_DISK_QUOTA: 1024 ** 3,
      MAX_HEADER_LENGTH: 100,
      MAX_HEADER_COUNT: 20,
      MAX_ID_LENGTH: 200,
      MAX_BLOBS_IN_FOLDER: 10_000,
      FSYNC: true,
      TOMBSTONE_TTL: 7 * 24 * 3_600_000,
      HEARTBEAT_INTERVAL_MS: 10_000,
    });
    expect(config.NODE_NAME).toMatch(/^[A-Za-z0-9_-]{1,50}$/);
    expect(config.NODE_NAME).toBe(
      hostname()
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 50),
    );
    expect(config.DATA_DIR).toBe(path.resolve('data', config.NODE_NAME));
    expect(config.LOAD_BALANCER_URL).toBeUndefined();
  });

  it('reads sizes with units', () => {
    expect(load({ MAX_LENGTH: '5MB', MAX_DISK_QUOTA: '2GiB', DATA_DIR: '/srv/blobs' })).toMatchObject({
      MAX_LENGTH: 5_000_000,
      MAX_DISK_QUOTA: 2 * 1024 ** 3,
      DATA_DIR: '/srv/blobs',
    });
  });

  it('names every variable that is wrong', () => {
    expect(
      problemsFor({
        MAX_LENGTH: '10 megs',
        MAX_ID_LENGTH: '300',
        NODE_NAME: 'blob 1',
        ADVERTISED_HOST: '0.0.0.0',
      }),
    ).toEqual([
      'NODE_NAME must be 1 to 50 characters of A-Z a-z 0-9 _ -, got "blob 1"',
      'MAX_LENGTH must be a size in bytes such as 1048576, 500KB or 10MiB, got "10 megs"',
      'MAX_ID_LENGTH must be an integer from 1 to 255, got "300"',
      'ADVERTISED_HOST must be a host name or address the load balancer can reach (not 0.0.0.0 or ::), got "0.0.0.0"',
    ]);
  });

  it('keeps tombstones at least a minute: a delete must outlive a node\u2019s short absence', () => {
    expect(load({ TOMBSTONE_TTL: '1m' }).TOMBSTONE_TTL).toBe(60_000);
    expect(problemsFor({ TOMBSTONE_TTL: '59s' })).toEqual([
      "TOMBSTONE_TTL must be at least 1m, got 59000ms: a delete must outlive a node's short absence",
    ]);
  });

  it('announces at most every 100 ms', () => {
    expect(load({ HEARTBEAT_INTERVAL_MS: '100' }).HEARTBEAT_INTERVAL_MS).toBe(100);
    expect(problemsFor({ HEARTBEAT_INTERVAL_MS: '99' })).toEqual([
      'HEARTBEAT_INTERVAL_MS must be an integer of at least 100, got "99"',
    ]);
  });
});
