// src/server.ts as a real process, as `pnpm --filter user-service start` runs it: it migrates its database,
// serves, and on SIGTERM finishes and exits 0; without a database configured it says what to set and exits 1.
import { fileURLToPath } from 'node:url';
import { findFreePort } from '@backend-rebase/net';
import { createTestDatabase, type TestDatabase } from '@backend-rebase/db/testing';
import { startServiceProcess } from '@backend-rebase/service-kit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

function startServer(env: Record<string, string>) {
  return startServiceProcess({ serviceDir, env });
}

// Starting a process with tsx takes seconds on a busy two-core machine: more than vitest's default 5 s allows.
const PROCESS_TIMEOUT_MS = 30_000;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('users server');
});
afterAll(() => database.drop());

// The two processes start side by side: most of each test is waiting for tsx to load the service.
describe.concurrent('src/server.ts', () => {
  it(
    'migrates USERS_DATABASE_URL, serves, and shuts down cleanly on SIGTERM',
    async () => {
      const port = await findFreePort();
      const server = startServer({ USERS_DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1' });
      try {
        await server.ready(`http://127.0.0.1:${port}/ready`);
        const response = await fetch(`http://127.0.0.1:${port}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'process@example.com', full_name: 'Process' }),
        });
        expect(response.status).toBe(201);
      } finally {
        server.child.kill('SIGTERM');
      }
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('shutdown complete');
      expect(server.output()).not.toContain('process@example.com');

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT email FROM users');
        expect(rows).toEqual([{ email: 'process@example.com' }]);
        // The pool was closed on shutdown: the service left no connection behind.
        const left = await client.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'user-service' AND datname = $1",
          [database.name],
        );
        expect(left.rows).toEqual([{ n: 0 }]);
      } finally {
        await client.end();
      }
    },
    PROCESS_TIMEOUT_MS,
  );

  it(
    'names the variables to set when no database is configured, and exits 1',
    async () => {
      const server = startServer({ PORT: String(await findFreePort()) });
      expect(await server.exited).toBe(1);
      expect(server.output()).toContain('DATABASE_URL (a PostgreSQL server) or USERS_DATABASE_URL');
    },
    PROCESS_TIMEOUT_MS,
  );
});
