// For the tests of other packages (the cache proxy's): a real blob server in their process, on a free loopback
// port, built as server.ts builds it. This is the one module of the blob server another package may import
// ("blob-server/testing"); everything else stays behind HTTP.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { captureLogger } from '@backend-rebase/logger/testing';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';

/** The defaults of every setting, as an empty environment gives them, with `settings` over them. */
export function testConfig(dataDir: string, settings: Partial<Config> = {}): Config {
  const defaults = loadConfig({
    env: { NODE_NAME: 'test-node', DATA_DIR: dataDir },
    dotenvPath: '/nonexistent/.env',
  });
  return { ...defaults, ...settings };
}

export interface TestBlobServerOptions {
  /** settings over the defaults (FSYNC, MAX_LENGTH, …); DATA_DIR is a new temporary folder */
  settings?: Partial<Config>;
}

export interface TestBlobServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** stops the server and removes its data folder */
  close(): Promise<void>;
}

export async function startBlobServer(options: TestBlobServerOptions = {}): Promise<TestBlobServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'blob-server-'));
  const { logger } = captureLogger('blob-server', 'warn');
  const app = await buildApp(testConfig(dataDir, options.settings), { logger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
