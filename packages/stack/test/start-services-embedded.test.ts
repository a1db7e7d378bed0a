// `pnpm start` on a machine with no PostgreSQL configured: the embedded server is started, used, and stopped
// on Ctrl-C together with the services, leaving no process behind.
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

describe('start-services.sh without DATABASE_URL', () => {
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
