// `pnpm start:node <name>` as a user runs it, against a scratch root whose blob server is a stand-in that
// reports its environment, with the test answering as the stack's balancer.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '@backend-rebase/net';
import { freePort, scratchRoot, type ScratchRoot } from './run-stack.js';

const startNode = fileURLToPath(new URL('../src/start-node.ts', import.meta.url));
let scratch: ScratchRoot;

beforeAll(async () => {
  scratch = await scratchRoot(undefined, 'node-services');
});

afterAll(async () => {
  await rm(scratch.root, { recursive: true, force: true });
});

/** A balancer that lists the given nodes, on a free port. */
async function fakeBalancer(
  nodes: Array<{ name: string; port: number }>,
): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(request.url === '/internal/nodes' ? { data: nodes } : { status: 'ok' }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

function run(name: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', startNode, name], {
    env: { ...process.env, ...scratch.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe.concurrent('pnpm start:node', () => {
  it('runs the node where the balancer knows it, with the stack environment, until Ctrl-C', async () => {
    const nodePort = await freePort();
    const balancer = await fakeBalancer([{ name: 'blob-9', port: nodePort }]);
    const node = run('blob-9', {
      LOAD_BALANCER_PORT: String(balancer.port),
      BLOB_SERVER_PORTS: String(await freePort()),
    });
    try {
      await expect.poll(node.output, { timeout: 45_000 }).toContain('blob-9 is ready at');
      const whoami: unknown = await (await fetch(`http://127.0.0.1:${nodePort}/whoami`)).json();
      expect(whoami).toEqual({
        port: nodePort,
        env: {
          NODE_NAME: 'blob-9',
          DATA_DIR: path.join(scratch.dataDir, 'blobs', 'blob-9'),
          LOAD_BALANCER_URL: `http://127.0.0.1:${balancer.port}`,
          ADVERTISED_HOST: '127.0.0.1',
          HEARTBEAT_INTERVAL_MS: '2000',
        },
      });
      expect(node.output()).toContain('[blob-9] ');
      expect(await readFile(path.join(scratch.logDir, 'blob-9.log'), 'utf8')).toContain(
        'stand-in blob server up',
      );

      node.child.kill('SIGINT');
      expect(await node.exited).toBe(0);
      expect(node.output()).toContain('blob-9 stopped');
      expect(await isPortFree(nodePort)).toBe(true);
    } finally {
      node.child.kill('SIGKILL');
      balancer.server.close();
    }
  });

  it('refuses to start when no balancer answers, saying to start the stack', async () => {
    const node = run('blob-4', {
      LOAD_BALANCER_PORT: String(await freePort()),
      BLOB_SERVER_PORTS: String(await freePort()),
    });
    expect(await node.exited).toBe(1);
    expect(node.output()).toContain('start the stack with `pnpm start` first');
    expect(existsSync(path.join(scratch.logDir, 'blob-4.log'))).toBe(false);
  });
});
