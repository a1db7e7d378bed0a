// `pnpm start` on a machine with no PostgreSQL configured: the embedded server is started, used, and stopped
// on Ctrl-C together with the services, leaving no process behind. Also here, the other case that needs no
// database server of its own: a DATABASE_URL that nothing answers, on which the stack gives up.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '@backend-rebase/net';
import { freePort, isAlive, RunningStack, scratchRoot, type ScratchRoot } from './run-stack.js';

let scratch: ScratchRoot;

beforeAll(async () => {
  scratch = await scratchRoot();
});

afterAll(async () => {
  await rm(scratch.root, { recursive: true, force: true });
});

// The two cases run side by side, each on its own ports and scratch folders: most of the second is waiting out
// its readiness timeout, which the first's start-up and shutdown then fill.
describe.concurrent('start-services.sh without DATABASE_URL', () => {
  it('runs the embedded PostgreSQL for the services and stops it last', async () => {
    const [servicePort, databasePort] = [await freePort(), await freePort()];
    const stack = new RunningStack({
      STACK_ROOT: scratch.root,
      STACK_DATA_DIR: scratch.dataDir,
      STACK_LOG_DIR: scratch.logDir,
      DATABASE_URL: undefined,
      EMBEDDED_PG_PORT: String(databasePort),
      USER_SERVICE_PORT: String(servicePort),
    });
    let postgresPid: number | undefined;
    try {
      await stack.waitFor('[stack] ready');
      expect(stack.output).toContain(
        `postgres (embedded)  postgres://postgres:***@127.0.0.1:${databasePort}/postgres`,
      );
      const pidFile = await readFile(path.join(scratch.dataDir, 'postgres', 'postmaster.pid'), 'utf8');
      postgresPid = Number(pidFile.split('\n')[0]);
      expect(isAlive(postgresPid)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${servicePort}/ready`)).status).toBe(200);

      stack.interrupt();
      expect(await stack.exited).toBe(0);
    } finally {
      stack.kill();
    }
    expect(postgresPid).toBeGreaterThan(0);
    expect(isAlive(postgresPid)).toBe(false);
    expect(await isPortFree(servicePort)).toBe(true);
    expect(await isPortFree(databasePort)).toBe(true);
  });
});

describe.concurrent('start-services.sh with a DATABASE_URL that nothing answers', () => {
  it('gives up when a service does not get ready in time, saying why, and stops everything', async () => {
    const port = await freePort();
    const unreachable = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const noMigrations = await scratchRoot();
    const stack = new RunningStack({
      STACK_ROOT: noMigrations.root,
      STACK_DATA_DIR: noMigrations.dataDir,
      STACK_LOG_DIR: noMigrations.logDir,
      DATABASE_URL: unreachable,
      USER_SERVICE_PORT: String(port),
      LOG_LEVEL: 'info',
      // Long enough for the service to start on a busy machine; its /ready then keeps failing.
      STACK_READY_TIMEOUT_SECONDS: '10',
    });
    try {
      expect(await stack.exited).toBe(1);
    } finally {
      stack.kill();
      await rm(noMigrations.root, { recursive: true, force: true });
    }
    expect(stack.output).toMatch(/user-service was not ready after 10 s \(\/ready answered 503: .*database/);
    expect(stack.output).not.toContain('[stack] ready');
    expect(await isPortFree(port)).toBe(true);
  });
});
