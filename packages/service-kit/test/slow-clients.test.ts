// The slow-client bounds every service gets from createService, on real sockets with short bounds: a connection
// that sends nothing, a reader that never reads, a body that stops half-way and trickled headers each hold their
// socket (and what the request opened) only until the bound; too many header fields are a 431.
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acceptRawBodies,
  ConfigError,
  createService,
  DEFAULT_SLOW_CLIENT_BOUNDS,
  loadConfig,
  slowClientBoundsFromEnv,
  Type,
  type Service,
  type SlowClientBounds,
} from '../src/index.js';
import {
  eventually,
  manyHeaders,
  neverReads,
  rawConnection,
  serverClosed,
  stopsHalfway,
  trickleHeaders,
} from '../src/testing/index.js';

let app: Service | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const SHORT: Partial<SlowClientBounds> = {
  idleTimeoutMs: 300,
  headersTimeoutMs: 400,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
};

/** What the routes did with what they opened. */
interface Seen {
  /** the streamed answer's source, created per request */
  source?: Readable;
  /** settles when an upload's body has been read to its end or broke off */
  upload?: Promise<string>;
}

async function listen(bounds: Partial<SlowClientBounds> = SHORT): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = {};
  app = await createService({ name: 'slow', logger: captureLogger().logger, slowClients: bounds });
  // A large answer made on demand: 64 MiB, far more than the kernel's socket buffers hold.
  app.get('/large', (_request, reply) => {
    let left = 64;
    const source = new Readable({
      read() {
        this.push(left-- > 0 ? Buffer.alloc(1024 * 1024, 0x62) : null);
      },
    });
    seen.source = source;
    return reply.header('content-length', String(64 * 1024 * 1024)).send(source);
  });
  await app.register((scope, _options, done) => {
    acceptRawBodies(scope);
    scope.put('/uploads', async (request, reply) => {
      seen.upload = (async () => {
        let bytes = 0;
        for await (const chunk of request.body as Readable) bytes += (chunk as Buffer).length;
        return `stored ${bytes}`;
      })().catch((error: unknown) => `broke off: ${(error as Error).message}`);
      return reply.send({ outcome: await seen.upload });
    });
    // A consumer that stops listening just after the body broke off, as a fan-out that settles once its upstream
    // requests were aborted does: Node has decided to emit the `aborted` error, and nobody is left to hear it.
    scope.put('/fragile', async (request, reply) => {
      const listener = () => undefined;
      request.raw.on('error', listener);
      request.raw.once('aborted', () =>
        process.nextTick(() => process.nextTick(() => request.raw.off('error', listener))),
      );
      // Not events.once: it would listen for 'error' itself.
      await new Promise((resolve) => request.raw.on('close', resolve));
      seen.upload = Promise.resolve('closed');
      return reply.send();
    });
    done();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, seen };
}

describe('slow clients', () => {
  it('closes a connection that sends nothing after the idle bound', async () => {
    const { port } = await listen();
    const client = await rawConnection(port);
    await client.closed;
    expect(client.received()).toBe('');
  });

  it('closes a connection whose client stops reading the answer, and destroys the answer’s source', async () => {
    const { port, seen } = await listen();
    const client = await neverReads(port, '/large');
    await eventually('the route has started answering', () => seen.source, Boolean, { timeoutMs: 5_000 });
    const source = seen.source!;
    const sourceClosed = once(source, 'close');
    // The 64 MiB cannot all fit in the buffers between us, so the write stalls; the idle bound ends it.
    await sourceClosed;
    expect(source.readableEnded).toBe(false);
    expect(await serverClosed(port, client)).toBe(true);
    client.socket.destroy();
  });

  it('closes a connection whose body stops half-way, and the route sees the body break off', async () => {
    const { port, seen } = await listen();
    const client = await stopsHalfway(port, '/uploads', 1_000_000, 1_000);
    await client.closed;
    const outcome = await seen.upload;
    expect(outcome).toMatch(/^broke off/);
  });

  it('survives a body cut off while nobody listens for the request stream’s error', async () => {
    const { port, seen } = await listen();
    const client = await stopsHalfway(port, '/fragile', 1_000_000, 1_000);
    await client.closed;
    await eventually('the route saw the request close', () => seen.upload, Boolean);
    // The process is still here (an unheard 'error' would have ended it), and answers.
    const again = await rawConnection(port);
    again.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await again.closed;
    expect(again.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('answers trickled headers (slowloris) with a 408 after the headers bound, though the line is never idle', async () => {
    // Idle bound far above the trickle's pace: only the headers bound can end this.
    const { port } = await listen({ ...SHORT, idleTimeoutMs: 5_000, headersTimeoutMs: 500 });
    const client = await trickleHeaders(port, 50);
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(client.received()).toContain('the request did not arrive in time');
  });

  it('ends a body trickled a byte at a time (never idle) once the request bound has passed', async () => {
    const { port, seen } = await listen({ ...SHORT, idleTimeoutMs: 5_000, requestTimeoutMs: 600 });
    const client = await stopsHalfway(port, '/uploads', 1_000_000, 10);
    const timer = setInterval(() => client.socket.write('a'), 50);
    await client.closed;
    clearInterval(timer);
    expect(await seen.upload).toMatch(/^broke off/);
  });

  it('refuses more header fields than the limit with a 431 naming it, and accepts as many as the limit', async () => {
    const { port } = await listen({ ...SHORT, maxHeaderCount: 50 });
    // Host and Connection are fields too.
    expect(await manyHeaders(port, 48)).toBe('HTTP/1.1 200 OK');
    expect(await manyHeaders(port, 49)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('refuses 2,000 header fields with a 431 under the default limits', async () => {
    const { port } = await listen({});
    expect(await manyHeaders(port, 2_000)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    // 200 tiny fields fit in 16 KiB: the count limit refuses them, where Node alone would have taken them.
    expect(await manyHeaders(port, 200)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });
});

describe('slow-client settings', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_SLOW_CLIENT_BOUNDS).toEqual({
      idleTimeoutMs: 60_000,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 72_000,
      maxHeaderBytes: 16 * 1024,
      maxHeaderCount: 100,
      linger: { maxBytes: 16 * 1024 * 1024, timeMs: 30_000, idleMs: 5_000 },
    });
  });

  it('reads them from the environment', () => {
    expect(
      slowClientBoundsFromEnv({
        HTTP_IDLE_TIMEOUT: '2s',
        HTTP_HEADERS_TIMEOUT: '500ms',
        HTTP_MAX_HEADER_COUNT: '30',
        HTTP_MAX_HEADER_SIZE: '8KiB',
        HTTP_LINGER_MAX_BYTES: '1MiB',
        HTTP_LINGER_TIME: '10s',
        HTTP_LINGER_TIMEOUT: '250ms',
      }),
    ).toMatchObject({
      idleTimeoutMs: 2_000,
      headersTimeoutMs: 500,
      maxHeaderCount: 30,
      maxHeaderBytes: 8192,
      linger: { maxBytes: 1024 * 1024, timeMs: 10_000, idleMs: 250 },
    });
  });

  it('makes every service’s loadConfig report a bad one, by name', () => {
    const load = () =>
      loadConfig(Type.Object({}), {
        env: { HTTP_IDLE_TIMEOUT: 'soon', HTTP_MAX_HEADER_COUNT: '0' },
        dotenvPath: '/nonexistent/.env',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/HTTP_IDLE_TIMEOUT must be a duration such as 500ms, 30s, 5m or 1h, got "soon"/);
    expect(load).toThrow(/HTTP_MAX_HEADER_COUNT must be an integer from 1 to 10000, got "0"/);
  });
});
