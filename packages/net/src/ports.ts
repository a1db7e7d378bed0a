// Local TCP ports on the loopback address every local process here listens on: whether one is free, and a free
// one for a server to listen on. Both probe by binding, the same way the server will.
//
// A free port is chosen below the kernel's ephemeral range on purpose. The kernel hands ports of that range to
// every outgoing connection as its local end (each query to PostgreSQL, each request between services), so a
// port it chose with `listen(0)` and that sits free for the moment between the probe and the server's listen is
// the very kind of port the next outgoing connection may take. Below the range only another listener can.
import { readFile } from 'node:fs/promises';
import net from 'node:net';

const HOST = '127.0.0.1';
/** Above the well-known and the commonly configured ports (PostgreSQL's 5432, the services' 3000s, 8080). */
const LOWEST_CHOICE = 10_000;
/** Where the ephemeral range starts when the system does not say: IANA's choice, macOS's default. */
const IANA_EPHEMERAL_START = 49_152;
const ATTEMPTS = 50;

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    server.listen({ port, host: HOST }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago, outside the ephemeral range when there is room below it. Another listener
 * may still take it before its use; the server then fails with a clear "port in use" error.
 */
export async function findFreePort(): Promise<number> {
  const ceiling = await ephemeralRangeStart();
  for (let attempt = 0; ceiling > LOWEST_CHOICE && attempt < ATTEMPTS; attempt++) {
    const port = LOWEST_CHOICE + Math.floor(Math.random() * (ceiling - LOWEST_CHOICE));
    if (await isPortFree(port)) return port;
  }
  return kernelChosenPort();
}

/** The first port of the kernel's ephemeral range (Linux says it in /proc). */
export async function ephemeralRangeStart(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const start = Number(range.trim().split(/\s+/)[0]);
  return Number.isInteger(start) && start > 0 ? start : IANA_EPHEMERAL_START;
}

function kernelChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: HOST }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
