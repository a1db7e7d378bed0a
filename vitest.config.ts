// One test run for the whole workspace: every package, service and lesson with a vitest.config.ts is a
// project. Database tests (`*.db.test.ts`) share one PostgreSQL server for the whole run: the embedded one
// started by the global setup below, or the server named by TEST_DATABASE_URL; each test file creates its
// own database on it. `pnpm test:db` runs only the database tests.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./packages/db/src/testing/global-setup.ts'],
    projects: [
      'packages/*/vitest.config.ts',
      'services/*/vitest.config.ts',
      'lessons/*/vitest.config.ts',
      'docs/openapi/vitest.config.ts',
      'bench/vitest.config.ts',
      'deploy/vitest.config.ts',
    ],
  },
});
