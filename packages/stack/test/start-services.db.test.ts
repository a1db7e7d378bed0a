// `pnpm start` against a real PostgreSQL server (DATABASE_URL set): migrations applied, services started and
// waited for, logs written, and everything stopped on Ctrl-C.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@backend-rebase/db/testing';
import { isPortFree } from '@backend-rebase/net';
import { freePort, RunningStack, scratchRoot, type ScratchRoot } from './run-stack.js';

let database: TestDatabase;
let scratch: ScratchRoot;

beforeAll(async () => {
  database = await createTestDatabase('stack');
  scratch = await scratchRoot({
    database: database.name,
    files: {
      'V1__create_greetings.sql':
        "CREATE TABLE greetings (word text);\nINSERT INTO greetings VALUES ('hello');\n",
    },
  });
});

afterAll(async () => {
  await database.drop();
  await rm(scratch.root, { recursive: true, force: true });
});

function stackEnv(port: number): Record<string, string | undefined> {
  return {
    ...scratch.env,
    DATABASE_URL: database.serverUrl,
    USER_SERVICE_PORT: String(port),
    LOG_LEVEL: 'info',
  };
}

// The cases run side by side: each has a port of its own, and only the first gets as far as starting services
// (the others stop at their checks). How the stack gives up on a service that never gets ready needs no database
// server, so it is in start-services-embedded.test.ts rather than here, where `pnpm test:db` would run it again.
describe.concurrent('start-services.sh with DATABASE_URL', () => {
  it('migrates, starts the services, waits for /ready, prints the table, and stops them on Ctrl-C', async () => {
    const port = await freePort();
    const stack = new RunningStack(stackEnv(port));
    try {
      await stack.waitFor('[stack] ready');

      expect(stack.output).toContain(`database "${database.name}" is migrated`);
      expect(stack.output).toMatch(new RegExp(`user-service\\s+http://127\\.0\\.0\\.1:${port}\\s+`));
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).toBe(200);
      const whoami = await fetch(`http://127.0.0.1:${port}/whoami`, {
        headers: { 'x-request-id': 'stack-test-1' },
      });
      expect(await whoami.json()).toEqual({ service: 'user-service', port });

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const history = await client.query('SELECT script, success FROM flyway_schema_history');
        expect(history.rows).toEqual([{ script: 'V1__create_greetings.sql', success: true }]);
        const greetings = await client.query('SELECT word FROM greetings');
        expect(greetings.rows).toEqual([{ word: 'hello' }]);
      } finally {
        await client.end();
      }

      stack.interrupt();
      expect(await stack.exited).toBe(0);
    } finally {
      stack.kill();
    }

    expect(stack.output).toContain('[stack] stopped');
    expect(await isPortFree(port)).toBe(true);
    // The service's own log, line by line JSON, with the request id and its graceful shutdown.
    const log = await readFile(path.join(scratch.logDir, 'user-service.log'), 'utf8');
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.requestId === 'stack-test-1')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ service: 'user-service', message: 'shutdown complete' });
    // And the console got the same lines, prefixed with the service's name.
    expect(stack.output).toContain('[user-service] {');
  });

  it('refuses to start, naming the port and the program that holds it, when a port is taken', async () => {
    const port = await freePort();
    const { createServer } = await import('node:net');
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const stack = new RunningStack(stackEnv(port));
      expect(await stack.exited).toBe(1);
      // The squatter is this test's own process: the message names it.
      expect(stack.output).toContain(
        `port ${port} (user-service) is already in use by process ${process.pid} (`,
      );
      expect(stack.output).not.toContain('[stack] ready');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('refuses a bad setting before starting anything, naming the variable', async () => {
    const port = await freePort();
    const stack = new RunningStack({
      ...stackEnv(port),
      STACK_READY_TIMEOUT_SECONDS: 'soon',
      BLOB_SERVER_PORTS: '3001,x',
    });
    expect(await stack.exited).toBe(1);
    expect(stack.output).toContain(
      'STACK_READY_TIMEOUT_SECONDS must be a whole number of seconds, at least 1, got "soon"',
    );
    expect(stack.output).toContain('BLOB_SERVER_PORTS must be a comma-separated list of ports');
    expect(stack.output).not.toContain('[stack] starting');
  });
});
