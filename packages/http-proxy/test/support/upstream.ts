// A real upstream for the tests: a node:http server on a free port whose every request the test answers, and
// which records what reached it. `Expect: 100-continue` is left to the test (onContinue), so it decides whether
// the upload is wanted.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (request: IncomingMessage, response: ServerResponse, seen: Seen) => void;

export interface TestUpstream {
  port: number;
  origin: string;
  seen: Seen[];
  /** connections it has accepted so far */
  connections: number;
  handle: Handler;
  /** a request with `Expect: 100-continue`; by default it is sent `100 Continue` and handled */
  onContinue: Handler;
  close(): Promise<void>;
}

export async function startUpstream(handle: Handler = answerText(200, 'ok')): Promise<TestUpstream> {
  const sockets = new Set<Socket>();
  const record = (request: IncomingMessage): Seen => {
    const seen: Seen = {
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.alloc(0),
    };
    upstream.seen.push(seen);
    request.on('data', (chunk: Buffer) => (seen.body = Buffer.concat([seen.body, chunk])));
    return seen;
  };
  const server: Server = createServer((request, response) =>
    upstream.handle(request, response, record(request)),
  );
  server.on('checkContinue', (request, response) => upstream.onContinue(request, response, record(request)));
  server.on('connection', (socket) => {
    upstream.connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const upstream: TestUpstream = {
    port,
    origin: `http://127.0.0.1:${port}`,
    seen: [],
    connections: 0,
    handle,
    onContinue: (request, response, seen) => {
      response.writeContinue();
      upstream.handle(request, response, seen);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}

/** Answers `status` with `text` once the request's body has arrived. */
export function answerText(status: number, text: string, headers: Record<string, string> = {}): Handler {
  return (request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'text/plain', ...headers });
      response.end(text);
    });
  };
}

/** Never answers. */
export const silent: Handler = () => undefined;

/** Resolves with everything `body` yields, as text. */
export async function textOf(body: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString();
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
