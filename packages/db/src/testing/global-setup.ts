// Runs once per `vitest run`, before any test file: gives the database tests one PostgreSQL server for the
// whole run, on which each test file creates its own database. That is the server named by TEST_DATABASE_URL
// when it is set, otherwise an embedded one in a fresh temporary directory on a free port (never `.data/`,
// so the tests can run beside `pnpm start`), stopped and deleted at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { connectClient } from '../client.js';
import { redactPassword } from '../database.js';
import { startEmbeddedPostgres } from '../embedded.js';
import { findFreePort } from '@backend-rebase/net';
import { SERVER_URL_KEY } from './provided.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    await assertReachable(given);
    project.provide(SERVER_URL_KEY, given);
    return () => Promise.resolve();
  }

  const dataDir = await mkdtemp(join(tmpdir(), 'backend-rebase-test-pg-'));
  const removeDataDir = () => rm(dataDir, { recursive: true, force: true });
  try {
    const server = await startEmbeddedPostgres({ dataDir, port: await findFreePort() });
    project.provide(SERVER_URL_KEY, server.serverUrl);
    return async () => {
      await server.stop();
      await removeDataDir();
    };
  } catch (error) {
    await removeDataDir();
    throw error;
  }
}

async function assertReachable(url: string): Promise<void> {
  try {
    const client = await connectClient(url);
    await client.end();
  } catch (error) {
    throw new Error(
      `TEST_DATABASE_URL (${redactPassword(url)}) is not reachable: ${(error as Error).message}. ` +
        'Start that server, or unset TEST_DATABASE_URL to run the tests on an embedded one.',
      { cause: error },
    );
  }
}
