// A TCP proxy in front of PostgreSQL that a test can take down and bring back on the same port: while it is
// down, existing connections are cut and new ones are refused, exactly what a service sees when its database
// stops. It needs no privileges on the server, so it works on the embedded one and on a shared one alike.
//
// It can also fail one exchange exactly where a test wants it (interceptAnswerTo): a chosen message reaches the
// server, and the server's answer is held at the proxy — the client never sees it, whether the test then cuts
// the connection or lets the client's own timeout run out.
import net from 'node:net';

/** An answer the proxy holds back from the client (see interceptAnswerTo). */
export interface HeldAnswer {
  /** Cuts the connection the answer belonged to; the client gets an error instead of it. */
  cut(): void;
}

interface Trap {
  message: Buffer;
  held: (answer: HeldAnswer) => void;
}

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private trap: Trap | null = null;

  private constructor(
    private readonly target: { host: string; port: number },
    public port: number,
  ) {}

  /** Listens on a free port of 127.0.0.1 and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0);
    await proxy.up();
    return proxy;
  }

  /** Accepts connections again, on the same port as before. */
  async up(): Promise<void> {
    const server = net.createServer((client) => this.forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.port, host: '127.0.0.1' }, resolve);
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Cuts every open connection and stops listening: connecting is refused until up(). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Arms a one-shot trap: the next client data that contains `bytes` (e.g. a prepared statement's name, which
   * its Parse and every Bind carry) is forwarded, and the server's first answer after it is held. Resolves once
   * that answer has arrived, so the server has surely processed the message.
   */
  interceptAnswerTo(bytes: Buffer): Promise<HeldAnswer> {
    return new Promise((held) => {
      this.trap = { message: bytes, held };
    });
  }

  /** The URL with its host and port replaced by the proxy's. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  private forward(client: net.Socket): void {
    const upstream = net.connect(this.target);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
      socket.on('error', () => other.destroy());
    }
    let holding = false;
    let tail = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      const trap = this.trap;
      if (trap && !holding) {
        // A message may be split across chunks: look at the end of the previous one too.
        const seen = Buffer.concat([tail, chunk]);
        tail = seen.subarray(Math.max(0, seen.length - trap.message.length + 1));
        if (seen.includes(trap.message)) {
          this.trap = null;
          holding = true;
          upstream.once('data', () => {
            trap.held({
              cut: () => {
                client.destroy();
                upstream.destroy();
              },
            });
          });
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!holding) client.write(chunk);
    });
  }
}
