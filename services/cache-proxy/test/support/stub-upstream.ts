// A stand-in for the load balancer: a plain node:http server that keeps blobs in a Map, counts the requests it
// gets, and can be told to answer one id slowly (per request, so a test can make the old version's GET slow
// and the PUT that replaces it fast).
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
  close(): Promise<void>;
}

export async function startStubUpstream(): Promise<StubUpstream> {
  const blobs = new Map<string, StoredBlob>();
  const requests: string[] = [];
  const delays = new Map<string, number>();
  const extraHeaders = new Map<string, Record<string, string>>();

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
    void (async () => {
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
      response.end(request.method === 'HEAD' ? undefined : blob.body);
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
