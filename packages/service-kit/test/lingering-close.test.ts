// Lingering close: an answer given before the request's body was read reaches curl, undici, node:http and a
// send-then-read client during 2 MiB and 10 MiB uploads, with and without `Expect: 100-continue` (no reset
// instead of the answer), and so does the 431 Node's parser gives for headers too large,
// and the connection is then closed within its bounds: when the body ends, when the client closes, or after
// maxBytes discarded, timeMs, or idleMs without a byte, whichever comes first.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  acceptRawBodies,
  createService,
  HttpProblem,
  lingerOnEarlyAnswers,
  sendContinue,
  type LingerBounds,
  type LingerEnd,
  type Service,
} from '../src/index.js';
import { openConnections, upload, UPLOAD_CLIENTS } from '../src/testing/index.js';

const MiB = 1024 * 1024;
let app: Service | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

interface Listening {
  port: number;
  ends: { end: LingerEnd; discarded: number }[];
  /** resolves with the next lingering close's end */
  nextEnd: () => Promise<{ end: LingerEnd; discarded: number }>;
}

async function listen(bounds?: Partial<LingerBounds>): Promise<Listening> {
  const ends: { end: LingerEnd; discarded: number }[] = [];
  const waiters: ((entry: { end: LingerEnd; discarded: number }) => void)[] = [];
  app = await createService({ name: 'linger', logger: captureLogger().logger });
  app.get('/ping', () => ({ ok: true }));
  await app.register((scope, _options, done) => {
    acceptRawBodies(scope);
    lingerOnEarlyAnswers(scope, bounds, (end, discarded) => {
      const entry = { end, discarded };
      const waiter = waiters.shift();
      if (waiter) waiter(entry);
      else ends.push(entry);
    });
    scope.put('/uploads/:name', { config: { deferContinue: true } }, async (incoming, reply) => {
      if (incoming.headers['x-refuse'] !== undefined) {
        throw new HttpProblem(
          413,
          `the upload is ${incoming.headers['content-length']} bytes; the limit is 1`,
        );
      }
      sendContinue(incoming);
      let bytes = 0;
      for await (const chunk of incoming.body as Readable) bytes += (chunk as Buffer).length;
      return reply.send({ bytes });
    });
    done();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    ends,
    nextEnd: () => {
      const queued = ends.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('an answer before the body, read by every client', () => {
  for (const { client, expect: withExpect } of UPLOAD_CLIENTS) {
    for (const size of [2 * MiB, 10 * MiB]) {
      it(`${client}, ${size / MiB} MiB, ${withExpect ? 'with' : 'without'} Expect: gets the 413, then the server is clean`, async () => {
        const { port, nextEnd } = await listen();
        const result = await upload({
          client,
          url: `http://127.0.0.1:${port}/uploads/a`,
          bytes: size,
          expect: withExpect,
          headers: { 'x-refuse': 'yes' },
        });
        expect(result.error).toBeUndefined();
        expect(result.status).toBe(413);
        expect(result.connection).toBe('close');
        expect(JSON.parse(result.body)).toMatchObject({
          status: 413,
          detail: `the upload is ${size} bytes; the limit is 1`,
        });
        const { end } = await nextEnd();
        expect(['body-ended', 'client-closed']).toContain(end);
        const ping = await fetch(`http://127.0.0.1:${port}/ping`, { headers: { connection: 'close' } });
        expect(await ping.json()).toEqual({ ok: true });
        await vi.waitFor(async () => expect(await openConnections(app!)).toBe(0));
      });
    }
  }
});

describe("a 431 from Node's parser (headers over HTTP_MAX_HEADER_SIZE), read by every client", () => {
  for (const { client, expect: withExpect } of UPLOAD_CLIENTS) {
    it(`${client}, 10 MiB, ${withExpect ? 'with' : 'without'} Expect: gets the 431, then the server is clean`, async () => {
      const { port } = await listen();
      const result = await upload({
        client,
        url: `http://127.0.0.1:${port}/uploads/a`,
        bytes: 10 * MiB,
        expect: withExpect,
        headers: { 'x-padding': 'p'.repeat(20_000) },
      });
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(431);
      expect(JSON.parse(result.body)).toMatchObject({
        status: 431,
        detail: 'the request headers are too large',
      });
      const ping = await fetch(`http://127.0.0.1:${port}/ping`, { headers: { connection: 'close' } });
      expect(await ping.json()).toEqual({ ok: true });
      await vi.waitFor(async () => expect(await openConnections(app!)).toBe(0));
    });
  }
});

/** A client on a raw socket: it sends what the test says, and records what it gets back. */
class RawClient {
  readonly socket: Socket;
  received = '';
  ended = false;
  error: string | undefined;
  readonly closed: Promise<void>;

  constructor(port: number) {
    // Half-open allowed: the server's FIN after its answer does not make this client close (a client still
    // uploading keeps its side open).
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    this.socket.on('data', (chunk: Buffer) => (this.received += chunk.toString()));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', (error: NodeJS.ErrnoException) => (this.error = error.code));
    this.closed = once(this.socket, 'close').then(() => undefined);
  }

  refusedUpload(length: number, extra = ''): void {
    this.socket.write(
      `PUT /uploads/a HTTP/1.1\r\nhost: x\r\ncontent-length: ${length}\r\nx-refuse: yes\r\n${extra}\r\n`,
    );
  }

  /** resolves once the whole answer (headers and its Content-Length of body) has arrived */
  async answer(): Promise<string> {
    for (;;) {
      const split = this.received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(this.received)?.[1];
      if (split >= 0 && length !== undefined && this.received.length >= split + 4 + Number(length)) {
        return this.received;
      }
      await once(this.socket, 'data');
    }
  }
}

describe('the bounds of a lingering close', () => {
  it('closes with a plain FIN once the rest of the body has been read and discarded', async () => {
    const { port, nextEnd } = await listen();
    const client = new RawClient(port);
    client.refusedUpload(300_000);
    expect(await client.answer()).toMatch(/^HTTP\/1.1 413 .*connection: close/is);
    client.socket.end(Buffer.alloc(300_000));
    expect(await nextEnd()).toEqual({ end: 'body-ended', discarded: 300_000 });
    await client.closed;
    expect(client.ended).toBe(true);
    expect(client.error).toBeUndefined();
  });

  it('stops reading after maxBytes discarded', async () => {
    const { port, nextEnd } = await listen({ maxBytes: 100_000 });
    const client = new RawClient(port);
    client.refusedUpload(10 * MiB);
    await client.answer();
    client.socket.write(Buffer.alloc(MiB));
    const { end, discarded } = await nextEnd();
    expect(end).toBe('max-bytes');
    expect(discarded).toBeGreaterThan(100_000);
    expect(discarded).toBeLessThan(100_000 + 128 * 1024); // one read more at most
    await vi.waitFor(async () => expect(await openConnections(app!)).toBe(0));
    client.socket.destroy();
  });

  it('closes after idleMs without a byte from a client that stopped half-way', async () => {
    const { port, nextEnd } = await listen({ idleMs: 50, timeMs: 60_000 });
    const client = new RawClient(port);
    client.refusedUpload(10_000);
    client.socket.write(Buffer.alloc(1_000));
    await client.answer();
    expect(await nextEnd()).toEqual({ end: 'idle', discarded: 1_000 });
    await vi.waitFor(async () => expect(await openConnections(app!)).toBe(0));
    expect(client.ended).toBe(true);
    client.socket.destroy();
  });

  it("takes its bounds from the service's slow-client settings (HTTP_LINGER_*)", async () => {
    app = await createService({
      name: 'linger-settings',
      logger: captureLogger().logger,
      slowClients: { linger: { maxBytes: 16 * MiB, timeMs: 60_000, idleMs: 50 } },
    });
    await app.register((scope, _options, done) => {
      acceptRawBodies(scope);
      scope.put('/uploads/:name', { config: { deferContinue: true } }, () => {
        throw new HttpProblem(413, 'the limit is 1 byte');
      });
      done();
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const client = new RawClient(typeof address === 'object' && address ? address.port : 0);
    client.refusedUpload(10_000);
    client.socket.write(Buffer.alloc(1_000));
    await client.answer();
    // 50 ms without a byte ends it, where the default would wait 5 s.
    await vi.waitFor(async () => expect(await openConnections(app!)).toBe(0), { timeout: 2_000 });
    client.socket.destroy();
  });

  it('closes after timeMs in all, whatever idleMs says', async () => {
    const { port, nextEnd } = await listen({ idleMs: 60_000, timeMs: 50 });
    const client = new RawClient(port);
    client.refusedUpload(10 * MiB);
    await client.answer();
    expect((await nextEnd()).end).toBe('time');
    await vi.waitFor(async () => expect(await openConnections(app!)).toBe(0));
    client.socket.destroy();
  });

  it('closes when a client that sent Expect takes the refusal and closes, having sent no body', async () => {
    const { port, nextEnd } = await listen();
    const client = new RawClient(port);
    client.refusedUpload(10 * MiB, 'expect: 100-continue\r\n');
    const answer = await client.answer();
    expect(answer).not.toMatch(/100 Continue/);
    expect(answer).toMatch(/^HTTP\/1.1 413 /);
    client.socket.end();
    expect(await nextEnd()).toEqual({ end: 'client-closed', discarded: 0 });
  });

  it('ends at once when the service closes, whatever the bounds say (a shutdown is not held)', async () => {
    const { port, nextEnd } = await listen({ idleMs: 60_000, timeMs: 60_000 });
    const client = new RawClient(port);
    client.refusedUpload(10 * MiB);
    client.socket.write(Buffer.alloc(1_000));
    await client.answer();
    const closed = app!.close();
    expect((await nextEnd()).end).toBe('shutdown');
    await closed;
    app = undefined;
    client.socket.destroy();
  });

  it('leaves an upload that is read to the end on a kept-alive connection', async () => {
    const { port, ends } = await listen();
    const client = new RawClient(port);
    client.socket.write('PUT /uploads/a HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello');
    expect(await client.answer()).toMatch(/^HTTP\/1.1 200 .*keep-alive.*\{"bytes":5\}$/is);
    client.socket.end();
    await client.closed;
    expect(ends).toEqual([]);
  });
});
