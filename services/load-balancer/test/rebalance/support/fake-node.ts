// A blob server reduced to what the rebalancer relies on, in memory, on a real port: the listing
// (GET /internal/blobs, sorted by id, {id, size, etag, version, deleted, modified}), GET/HEAD /blobs/:id with
// X-Blob-Version (a tombstone's 404 carries it), versioned PUT and DELETE with the version rules (newer applies,
// the same change again is a retry, anything else is 409 with the stored version), and the purge
// DELETE /internal/blobs/:id?version=V. Faults are injected per request, and every request is logged in one
// sequence shared by the nodes of a test, so a test can see the order in which things happened.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredRecord {
  version: number;
  deleted: boolean;
  /** ms since the epoch, the node's clock when it stored the record */
  modified: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface LoggedRequest {
  node: string;
  method: string;
  path: string;
  id?: string;
}

/** What a fault does to a request it matches: an error status, or dropping the connection. */
/**
 * `drop`: the connection is closed without an answer; `lose-write`: a write is acknowledged but not kept;
 * `keep-then-drop`: a write is kept but the connection closes before the answer (as when a node answers from
 * the headers and closes while the body is still being sent).
 */
export type Fault = { status: number } | 'drop' | 'lose-write' | 'keep-then-drop';

export interface FakeNodeOptions {
  name: string;
  log: LoggedRequest[];
  now: () => number;
  internalToken?: string;
}

const STORED = /^(content-type|x-rebase-.*)$/;

export class FakeNode {
  readonly records = new Map<string, StoredRecord>();
  readonly name: string;
  url = '';
  private server: Server | undefined;
  private faults: { matches: (request: LoggedRequest) => boolean; fault: Fault }[] = [];
  private readonly arrivals: { matches: (request: LoggedRequest) => boolean; arrived: () => void }[] = [];
  private readonly gates: { matches: (request: LoggedRequest) => boolean; opened: Promise<void> }[] = [];

  constructor(private readonly options: FakeNodeOptions) {
    this.name = options.name;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Stores a record directly, as if a write had reached this node. */
  put(id: string, record: Partial<StoredRecord> & { version: number }): void {
    this.records.set(id, {
      deleted: false,
      modified: this.options.now(),
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(0),
      ...record,
    });
  }

  /** Every request matching `matches` meets `fault` until cleared. */
  fail(matches: (request: LoggedRequest) => boolean, fault: Fault): void {
    this.faults.push({ matches, fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Resolves when a request matching `matches` arrives. */
  arrival(matches: (request: LoggedRequest) => boolean): Promise<void> {
    return new Promise((arrived) => this.arrivals.push({ matches, arrived }));
  }

  /** Holds every request matching `matches` until `opened` resolves. */
  hold(matches: (request: LoggedRequest) => boolean, opened: Promise<void>): void {
    this.gates.push({ matches, opened });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://node');
    const method = request.method ?? 'GET';
    const blob = /^\/(internal\/)?blobs\/(.+)$/.exec(url.pathname);
    const id = blob ? decodeURIComponent(blob[2] as string) : undefined;
    const logged: LoggedRequest = { node: this.name, method, path: url.pathname, ...(id ? { id } : {}) };
    this.options.log.push(logged);
    for (const { matches, arrived } of this.arrivals) if (matches(logged)) arrived();
    for (const { matches, opened } of this.gates) if (matches(logged)) await opened;
    const body = await readBody(request);

    const fault = this.faults.find(({ matches }) => matches(logged))?.fault;
    if (fault === 'drop') {
      request.socket.destroy();
      return;
    }
    if (typeof fault === 'object') return send(response, fault.status);

    if (url.pathname.startsWith('/internal/')) {
      const token = this.options.internalToken;
      if (token !== undefined && request.headers.authorization !== `Bearer ${token}`)
        return send(response, 401);
    }
    if (url.pathname === '/internal/blobs' && method === 'GET') return this.list(url, response);
    if (id === undefined) return send(response, 404);
    if (blob?.[1]) {
      if (method !== 'DELETE') return send(response, 405);
      return this.purge(id, Number(url.searchParams.get('version')), response);
    }
    const stored = this.records.get(id);
    if (method === 'GET' || method === 'HEAD') {
      if (!stored) return send(response, 404);
      if (stored.deleted) return send(response, 404, { 'x-blob-version': String(stored.version) });
      response.writeHead(200, {
        ...stored.headers,
        'x-blob-version': String(stored.version),
        'content-length': String(stored.body.length),
      });
      response.end(method === 'GET' ? stored.body : undefined);
      return;
    }
    if (method !== 'PUT' && method !== 'DELETE') return send(response, 405);
    const version = Number(request.headers['x-blob-version']);
    const deleted = method === 'DELETE';
    const newer = !stored || version > stored.version;
    const retry = stored && version === stored.version && stored.deleted === deleted;
    if (!newer && !retry) return send(response, 409, { 'x-blob-version': String(stored?.version) });
    if (newer && fault !== 'lose-write') {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (STORED.test(name) && typeof value === 'string') headers[name] = value;
      this.records.set(id, {
        version,
        deleted,
        modified: this.options.now(),
        headers: deleted ? {} : headers,
        body: deleted ? Buffer.alloc(0) : body,
      });
    }
    if (fault === 'keep-then-drop') {
      request.socket.destroy();
      return;
    }
    send(response, deleted ? 204 : stored && !stored.deleted ? 200 : 201, {
      'x-blob-version': String(version),
    });
  }

  private list(url: URL, response: ServerResponse): void {
    const cursor = url.searchParams.get('cursor');
    const limit = Number(url.searchParams.get('limit') ?? 1000);
    const ids = [...this.records.keys()].sort().filter((id) => cursor === null || id > cursor);
    const page = ids.slice(0, limit);
    const data = page.map((id) => {
      const record = this.records.get(id) as StoredRecord;
      return {
        id,
        size: record.body.length,
        etag: record.deleted ? null : `"${createHash('md5').update(record.body).digest('hex')}"`,
        version: record.version,
        deleted: record.deleted,
        modified: record.modified,
      };
    });
    const next = ids.length > limit ? (page.at(-1) as string) : null;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ data, next }));
  }

  private purge(id: string, version: number, response: ServerResponse): void {
    const stored = this.records.get(id);
    if (!stored) return send(response, 404);
    if (stored.version !== version) return send(response, 409, { 'x-blob-version': String(stored.version) });
    this.records.delete(id);
    send(response, 204);
  }
}

function send(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response.writeHead(status, headers);
  response.end();
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
