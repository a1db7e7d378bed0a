import { defineProject } from 'vitest/config';

// The tests run the lesson's programs as `pnpm lesson:*` does, compiled (test/global-setup.ts builds them) and
// as child processes, which can take seconds each on a busy 2-core machine: a 5 s default would fail a correct
// program for being slow.
export default defineProject({
  test: { name: 'external-sort', testTimeout: 30_000, globalSetup: ['test/global-setup.ts'] },
});
