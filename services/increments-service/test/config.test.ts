// The rules between the increments service's variables: the shutdown budget outlasts the longest flush, and
// the lock timeout fits inside the statement timeout.
import { describe, expect, it } from 'vitest';
import { configProblems } from '@backend-rebase/service-kit/testing';
import { loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) => loadConfig({ env, dotenvPath: '/nonexistent/.env' });

const problems = (env: Record<string, string>) => configProblems(() => load(env));

describe('the increments configuration', () => {
  it('derives the shutdown budget from the flush and connect timeouts when it is unset', () => {
    // 2 × (connect 2000 + flush 3000 + margin 1000) + 1000
    expect(load({}).SHUTDOWN_TIMEOUT_MS).toBe(13_000);
    expect(load({ FLUSH_TIMEOUT_MS: '10000', DB_CONNECT_TIMEOUT_MS: '5000' }).SHUTDOWN_TIMEOUT_MS).toBe(
      33_000,
    );
    expect(load({ SHUTDOWN_TIMEOUT_MS: '60000' }).SHUTDOWN_TIMEOUT_MS).toBe(60_000);
  });

  it('refuses a shutdown budget a flush could outlast, and a lock timeout above the statement timeout', () => {
    expect(problems({ SHUTDOWN_TIMEOUT_MS: '12999', DB_LOCK_TIMEOUT_MS: '4000' })).toEqual([
      expect.stringMatching(/^DB_LOCK_TIMEOUT_MS \(4000\) must not exceed FLUSH_TIMEOUT_MS \(3000\)/),
      expect.stringMatching(/^SHUTDOWN_TIMEOUT_MS \(12999\) must be at least 13000/),
    ]);
  });
});
