import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createPool, pingDatabase } from '../src/pool.js';
import { findFreePort } from '@backend-rebase/net';

describe('pingDatabase without a database', () => {
  it('fails at once when nothing listens', async () => {
    const pool = createPool({ connectionString: `postgres://x@127.0.0.1:${await findFreePort()}/x` });
    onTestFinished(() => pool.end());

    await expect(pingDatabase(pool)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('gives up after its timeout when the server never answers', async () => {
    // Accepts connections and never says a word, like a hung server or a black-holed network.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    onTestFinished(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const { port } = silent.address() as net.AddressInfo;
    // A connect timeout above the ping's, so the ping's own timer is what fires; low, so pool.end() is quick.
    const pool = createPool({
      connectionString: `postgres://x@127.0.0.1:${port}/x`,
      connectionTimeoutMillis: 600,
    });
    onTestFinished(() => pool.end());

    const started = performance.now();
    await expect(pingDatabase(pool, 300)).rejects.toThrow(/did not answer within 300 ms/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
