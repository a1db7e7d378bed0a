// A stand-in for the load balancer: a plain node:http server that keeps blobs in a Map, counts the requests it
// gets, and can be told to answer one id slowly (per request, so a test can make the old version's GET slow
// and the PUT that replaces it fast), or to hold each GET of an id until the test releases it — before its headers
// or half-way through its body — so a test decides the order of events instead of sleeping. It also counts the
// GET responses not yet finished or closed (`openResponses`), so a test can see an upstream request released, and
// can refuse a PUT from its headers (413 + Connection: close) without reading its body, as a node does.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredBlob {
  body: Buffer;
  headers: Record<string, string>;
}

export interface StubUpstream {
  url: string;
  blobs: Map<string, StoredBlob>;
  /** requests received, as "METHOD id" */
  requests: string[];
  count(method: string, id: string): number;
  /** the next GETs of id wait this long before answering (after reading the blob as it is then) */
  delayGets(id: string, ms: number): void;
  /** extra headers on every answer to GET/HEAD of id */
  extraHeaders: Map<string, Record<string, string>>;
  /**
   * From now on every GET of id is held until released: `before` the headers (the default), or `midway`, after
   * the headers and the first half of the body. The blob is read when the request arrives.
   */
  hold(id: string, where?: 'before' | 'midway'): Holder;
  /** /blobs responses of the stub not yet finished or closed: upstream requests the proxy still holds */
  openResponses(): number;
  /** PUTs of id are answered 413 with Connection: close from their headers; the body is read and counted */
  refusePuts(id: string): void;
  /** bytes of refused PUT bodies that reached the stub */
  refusedBytes(): number;
  close(): Promise<void>;
}

interface HeldRequest {
  release(): void;
}

interface Holder {
  /** the next held GET of the id, once it has arrived (in arrival order) */
  next(): Promise<HeldRequest>;
}

class HoldQueue implements Holder {
  private readonly arrived: HeldRequest[] = [];
  private readonly waiting: ((held: HeldRequest) => void)[] = [];
  constructor(readonly where: 'before' | 'midway') {}

  /** Called by the server: resolves when the test releases this request. */
  enter(): Promise<void> {
    return new Promise<void>((resolve) => {
      const held: HeldRequest = { release: () => resolve() };
      const waiter = this.waiting.shift();
      if (waiter) waiter(held);
      else this.arrived.push(held);
    });
  }

  next(): Promise<HeldRequest> {
    const held = this.arrived.shift();
    if (held) return Promise.resolve(held);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

export async function startStubUpstream(): Promise<StubUpstream> {
  const blobs = new Map<string, StoredBlob>();
  const requests: string[] = [];
  const delays = new Map<string, number>();
  const extraHeaders = new Map<string, Record<string, string>>();
  const holds = new Map<string, HoldQueue>();
  const refusing = new Set<string>();
  let open = 0;
  let refused = 0;

  const read = async (request: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    if (url.pathname === '/ready') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
      return;
    }
    const id = decodeURIComponent(url.pathname.replace(/^\/blobs\//, ''));
    requests.push(`${request.method} ${id}`);
    open++;
    response.once('close', () => open--);
    void (async () => {
      if ((request.method === 'PUT' || request.method === 'POST') && refusing.has(id)) {
        // As a node refusing from the headers: answer at once, then read (and count) what still comes, and close
        // only once the body has ended or the proxy has stopped sending it (a lingering close).
        request.on('data', (chunk: Buffer) => (refused += chunk.length));
        const socket = request.socket;
        socket.destroySoon = () => {
          if (request.complete) socket.destroy();
          else request.once('end', () => socket.destroy());
        };
        response
          .writeHead(413, { 'content-type': 'application/problem+json', connection: 'close' })
          .end('{"status":413,"detail":"too large"}');
        return;
      }
      if (request.method === 'PUT' || request.method === 'POST') {
        const body = await read(request);
        const headers: Record<string, string> = {
          'content-type': String(request.headers['content-type'] ?? 'application/octet-stream'),
        };
        for (const [name, value] of Object.entries(request.headers)) {
          if (name.startsWith('x-rebase-')) headers[name] = String(value);
        }
        const existed = blobs.has(id);
        blobs.set(id, { body, headers });
        response.writeHead(existed ? 200 : 201, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      if (request.method === 'DELETE') {
        blobs.delete(id);
        response.writeHead(204).end();
        return;
      }
      const blob = blobs.get(id); // read before the delay: a slow answer carries the version of its start
      const delay = delays.get(id) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const hold = request.method === 'GET' ? holds.get(id) : undefined;
      if (hold?.where === 'before') await hold.enter();
      if (!blob) {
        response.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"status":404}');
        return;
      }
      const etag = `"${createHash('md5').update(blob.body).digest('hex')}"`;
      response.writeHead(200, {
        ...blob.headers,
        ...extraHeaders.get(id),
        etag,
        'content-length': String(blob.body.length),
      });
      if (request.method === 'HEAD') {
        response.end();
        return;
      }
      if (hold?.where === 'midway') {
        const half = Math.floor(blob.body.length / 2);
        response.write(blob.body.subarray(0, half));
        await hold.enter();
        response.end(blob.body.subarray(half));
        return;
      }
      response.end(blob.body);
    })().catch((error: unknown) => response.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    blobs,
    requests,
    extraHeaders,
    count: (method, id) => requests.filter((line) => line === `${method} ${id}`).length,
    delayGets: (id, ms) => delays.set(id, ms),
    hold: (id, where = 'before') => {
      const queue = new HoldQueue(where);
      holds.set(id, queue);
      return queue;
    },
    openResponses: () => open,
    refusePuts: (id) => refusing.add(id),
    refusedBytes: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
