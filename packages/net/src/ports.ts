// Local TCP ports on the loopback address every local process here listens on: whether one is free, and a free
// one chosen by the kernel. Both probe by binding, the same way the server will.
import net from 'node:net';

const HOST = '127.0.0.1';

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

// Another process may take the port between this probe and its use; the embedded server then fails with a
// clear "port in use" error rather than misbehaving.
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: HOST }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
