// `pnpm start` on a machine with no PostgreSQL configured: the embedded server is started, used, and stopped
// on Ctrl-C together with the services, leaving no process behind. Also here, the other case that needs no
// database server of its own: a DATABASE_URL that nothing answers, on which the stack gives up.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '@backend-rebase/net';
import { freePort, isAlive, processesOn, RunningStack, scratchRoot, type ScratchRoot } from './run-stack.js';

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
      ...scratch.env,
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

// One after the other: each starts (and creates) a database cluster of its own, which is most of its time.
describe('start-services.sh after a stack that did not stop cleanly', () => {
  it('stops the PostgreSQL a stack killed with kill -9 left running, and starts', async () => {
    const killed = await scratchRoot();
    const [servicePort, databasePort] = [await freePort(), await freePort()];
    const env = {
      ...killed.env,
      DATABASE_URL: undefined,
      EMBEDDED_PG_PORT: String(databasePort),
      USER_SERVICE_PORT: String(servicePort),
    };
    const first = new RunningStack(env);
    let second: RunningStack | undefined;
    try {
      await first.waitFor('[stack] ready', 90_000);
      const leftover = await postmasterPid(killed.dataDir);
      // The stack first, so that it cannot hear of its launcher's death and stop cleanly.
      const { launcher, stack } = first.processes();
      process.kill(stack, 'SIGKILL');
      process.kill(launcher, 'SIGKILL');
      await first.exited;
      // Its service notices and stops itself; its database cannot.
      await expect.poll(() => isPortFree(servicePort), { timeout: 20_000 }).toBe(true);
      expect(isAlive(leftover)).toBe(true);

      second = new RunningStack(env);
      await second.waitFor('[stack] ready', 90_000);
      expect(second.output).toContain(
        `stopping the embedded PostgreSQL an earlier run left running {"pid":${leftover}`,
      );
      expect(isAlive(leftover)).toBe(false);
      const running = await postmasterPid(killed.dataDir);
      expect(running).not.toBe(leftover);
      expect((await fetch(`http://127.0.0.1:${servicePort}/ready`)).status).toBe(200);

      second.interrupt();
      expect(await second.exited).toBe(0);
      expect(isAlive(running)).toBe(false);
    } finally {
      first.kill();
      second?.kill();
      await rm(killed.root, { recursive: true, force: true });
    }
  }, 240_000);

  it('leaves no PostgreSQL behind when stopped while it creates the database cluster', async () => {
    const fresh = await scratchRoot();
    const stack = new RunningStack({
      ...fresh.env,
      DATABASE_URL: undefined,
      EMBEDDED_PG_PORT: String(await freePort()),
      USER_SERVICE_PORT: String(await freePort()),
    });
    const postgresDir = path.join(fresh.dataDir, 'postgres');
    try {
      // initdb is running on the new cluster's folder.
      await expect
        .poll(() => processesOn(postgresDir).length, { timeout: 30_000, interval: 50 })
        .toBeGreaterThan(0);
      stack.terminate();
      expect(await stack.exited).toBe(0);
    } finally {
      stack.kill();
    }
    expect(stack.output).toContain('[stack] stopped');
    expect(stack.output).not.toContain('[stack] ready');
    expect(processesOn(postgresDir)).toEqual([]);
    await rm(fresh.root, { recursive: true, force: true });
  });
});

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

describe.concurrent('start-services.sh with a DATABASE_URL that nothing answers', () => {
  it('gives up when a service does not get ready in time, saying why, and stops everything', async () => {
    const port = await freePort();
    const unreachable = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const noMigrations = await scratchRoot();
    const stack = new RunningStack({
      ...noMigrations.env,
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
