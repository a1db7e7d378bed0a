import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ephemeralRangeStart, findFreePort, isPortFree } from '../src/ports.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    servers.push(server);
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => resolve(server));
  });
}

describe('findFreePort', () => {
  it('chooses a port below the ephemeral range, where no outgoing connection can take it', async () => {
    const ceiling = await ephemeralRangeStart();
    for (let i = 0; i < 20; i++) {
      const port = await findFreePort();
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ceiling);
    }
  });

  it('chooses a port a server can then listen on', async () => {
    const port = await findFreePort();
    await listen(port);
    expect(await isPortFree(port)).toBe(false);
  });
});
