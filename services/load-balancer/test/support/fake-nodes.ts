// Blob servers whose every answer the test decides: small node:http servers that hand each /blobs request to a
// handler the test sets (and may hold until it chooses), record what reached them (method, headers, body bytes),
// and answer `Expect: 100-continue` only when the handler says so. They pass health checks and list no blobs, so
// a real balancer can use them too; harness() puts them, healthy, in a real NodeRegistry behind a real BlobProxy,
// so the data path is tested without the blob server's own rules.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { vi } from 'vitest';
import { NodeRegistry } from '../../src/cluster/node-registry.js';
import { placementOf, type Placement } from '../../src/cluster/placement.js';
import { BlobProxy, type Outcome, type UpstreamRequest } from '../../src/proxy/blob-proxy.js';
import { Upstreams } from '../../src/proxy/upstreams.js';
import { VersionClock } from '../../src/proxy/version-clock.js';
import { BEFORE_FIRST_PASS, type RebalanceControl } from '../../src/rebalance/cluster-view.js';

interface Seen {
  method: string;
  headers: IncomingHttpHeaders;
  /** whether the node sent 100 Continue */
  continued: boolean;
  body: Buffer;
  /** the whole announced body arrived */
  complete: boolean;
}

interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  seen: Seen;
  /** sends 100 Continue and resolves with the whole body */
  accept(): Promise<Buffer>;
}

export type Handler = (exchange: Exchange) => void | Promise<void>;

export interface FakeNode {
  name: string;
  port: number;
  seen: Seen[];
  handle: Handler;
  close(): Promise<void>;
}

export async function startFakeNode(name: string, handle: Handler = storeAnything): Promise<FakeNode> {
  const node: FakeNode = { name, port: 0, seen: [], handle, close: () => Promise.resolve() };
  const onRequest = (request: IncomingMessage, response: ServerResponse, expectsContinue: boolean) => {
    // What a balancer asks of every node besides /blobs: its health, and (the rebalancer) an empty listing.
    if (request.url === '/health') return answer(response, 200, { status: 'pass' });
    if (request.url?.startsWith('/internal/blobs?')) return answer(response, 200, { data: [], next: null });
    const seen: Seen = {
      method: request.method ?? '',
      headers: request.headers,
      continued: !expectsContinue,
      body: Buffer.alloc(0),
      complete: false,
    };
    node.seen.push(seen);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      seen.body = Buffer.concat(chunks);
    });
    const ended = new Promise<Buffer>((resolve) => {
      request.on('end', () => {
        seen.complete = true;
        resolve(seen.body);
      });
    });
    const exchange: Exchange = {
      request,
      response,
      seen,
      accept: () => {
        if (!seen.continued) {
          seen.continued = true;
          response.writeContinue();
        }
        return ended;
      },
    };
    void Promise.resolve(node.handle(exchange)).catch(() => response.destroy());
  };
  const server: Server = createServer((request, response) => onRequest(request, response, false));
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) =>
    onRequest(request, response, true),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.port = (server.address() as AddressInfo).port;
  node.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return node;
}

/** Writes: 201 with the node's JSON; deletes: 204; reads: 404. */
export const storeAnything: Handler = async (exchange) => {
  const { request, response } = exchange;
  if (request.method === 'PUT' || request.method === 'POST') {
    const body = await exchange.accept();
    answer(response, 201, { id: 'x', size: body.length, etag: null }, versionHeaders(request));
  } else if (request.method === 'DELETE') {
    response.writeHead(204, versionHeaders(request)).end();
  } else answer(response, 404, { title: 'Not Found' });
};

export function answer(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    })
    .end(text);
}

function versionHeaders(request: IncomingMessage): Record<string, string> {
  const version = request.headers['x-blob-version'];
  return typeof version === 'string' ? { 'x-blob-version': version } : {};
}

/** A blob held at `version`: GET/HEAD answers 200 with `bytes`. */
export function holding(version: number, bytes: string): Handler {
  return ({ request, response }) => {
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': Buffer.byteLength(bytes),
      'x-blob-version': String(version),
    });
    response.end(request.method === 'HEAD' ? undefined : bytes);
  };
}

/** A tombstone at `version`: 404 with X-Blob-Version. */
export function tombstone(version: number): Handler {
  return ({ response }) =>
    answer(response, 404, { title: 'Not Found', detail: 'deleted' }, { 'x-blob-version': String(version) });
}

export interface Harness {
  registry: NodeRegistry;
  proxy: BlobProxy;
  clock: VersionClock;
  metrics: { upstream: ReturnType<typeof vi.fn>; versionConflict: ReturnType<typeof vi.fn> };
  rebalance: Omit<RebalanceControl, 'busy' | 'repair' | 'noteHandoff'> & {
    busy: boolean;
    repair: ReturnType<typeof vi.fn>;
    noteHandoff: ReturnType<typeof vi.fn>;
  };
  placement(id: string): Placement;
  close(): Promise<void>;
}

export interface HarnessOptions {
  replicationFactor?: number;
  writeQuorum?: number;
  timeoutMs?: number;
}

/** A registry with `nodes` (and `dead`: registered ports nobody listens on) all healthy, and the proxy over them. */
export function harness(nodes: Array<{ name: string; port: number }>, options: HarnessOptions = {}): Harness {
  const { replicationFactor = 2, writeQuorum = replicationFactor, timeoutMs = 5_000 } = options;
  const registry = new NodeRegistry(160);
  for (const { name, port } of nodes) {
    const { node } = registry.register(name, { host: '127.0.0.1', port }, 'boot') as {
      node: { generation: number };
    };
    registry.recordCheck(name, node.generation, undefined);
  }
  const upstreams = new Upstreams(registry, { connections: 8, connectTimeoutMs: 2_000 });
  const clock = new VersionClock('0');
  const metrics = { upstream: vi.fn(), versionConflict: vi.fn() };
  const rebalance = {
    busy: false,
    request: vi.fn(),
    repair: vi.fn(),
    noteHandoff: vi.fn(),
    progress: BEFORE_FIRST_PASS,
  };
  const proxy = new BlobProxy({ registry, upstreams, metrics, clock, timeoutMs, writeQuorum, rebalance });
  return {
    registry,
    proxy,
    clock,
    metrics,
    rebalance,
    placement: (id) => placementOf(registry.ring, (name) => registry.isHealthy(name), id, replicationFactor),
    close: () => upstreams.closeAll(),
  };
}

/** Every node in sync, as after a rebalancer pass. */
export function markAllInSync(registry: NodeRegistry): void {
  for (const node of registry.list()) registry.markInSync(node.name, node.epoch);
}

export function upstreamRequest(
  method: UpstreamRequest['method'],
  id: string,
  body?: Readable,
  headers: Record<string, string> = {},
): UpstreamRequest & { abort(): void } {
  const controller = new AbortController();
  return {
    method,
    path: `/blobs/${id}`,
    headers: { 'x-request-id': 'test', ...headers },
    body,
    signal: controller.signal,
    abort: () => controller.abort(),
  };
}

/** An upload of `bytes`, with Content-Length, that counts how much of it was read. */
export function upload(bytes: Buffer): {
  body: Readable;
  read: () => number;
  headers: Record<string, string>;
} {
  let read = 0;
  const chunkSize = 16 * 1024;
  let offset = 0;
  const body = new Readable({
    highWaterMark: chunkSize,
    read() {
      if (offset >= bytes.length) {
        this.push(null);
        return;
      }
      const chunk = bytes.subarray(offset, offset + chunkSize);
      offset += chunk.length;
      read += chunk.length;
      this.push(chunk);
    },
  });
  return { body, read: () => read, headers: { 'content-length': String(bytes.length) } };
}

/** The relayed answer's status, headers and body text; discards nothing the route would not. */
export async function settle(
  outcome: Outcome,
): Promise<
  | { kind: 'answered'; status: number; node: string; headers: Record<string, unknown>; text: string }
  | { kind: 'failed'; status: number; detail: string }
  | { kind: 'client-gone' }
> {
  if (outcome.kind !== 'answered') return outcome;
  const chunks: Buffer[] = [];
  for await (const chunk of outcome.answer.body) chunks.push(Buffer.from(chunk as Uint8Array));
  return {
    kind: 'answered',
    status: outcome.answer.status,
    node: outcome.answer.node,
    headers: outcome.answer.headers,
    text: Buffer.concat(chunks).toString(),
  };
}

/** A deferred the test resolves to let a held answer go. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
