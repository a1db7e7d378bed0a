// The client-gone signal on a real server: it aborts when the client leaves before its answer was written whole,
// and never after a complete answer.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientGoneSignal, type ClientGoneSignal } from '../src/index.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that hands each request's signal to the test and answers only when `answer` is called. */
async function serve(): Promise<{
  port: number;
  next: Promise<{ signal: ClientGoneSignal; answer: () => void }>;
}> {
  let hand!: (value: { signal: ClientGoneSignal; answer: () => void }) => void;
  const next = new Promise<{ signal: ClientGoneSignal; answer: () => void }>((resolve) => (hand = resolve));
  server = createServer((_request, response) => {
    hand({ signal: clientGoneSignal(response), answer: () => response.end('done') });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, next };
}

describe('clientGoneSignal', () => {
  it('aborts when the client closes its connection before the answer', async () => {
    const { port, next } = await serve();
    const sent = httpRequest({ port, host: '127.0.0.1', path: '/' });
    sent.on('error', () => undefined);
    sent.end();
    const { signal } = await next;
    expect(signal.aborted).toBe(false);
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    sent.destroy();
    await aborted;
    expect(signal.aborted).toBe(true);
  });

  it('does not abort after a complete answer, even when the connection closes then', async () => {
    const { port, next } = await serve();
    const received = new Promise<string>((resolve) => {
      const sent = httpRequest({ port, host: '127.0.0.1', path: '/', agent: false }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      });
      sent.end();
    });
    const { signal, answer } = await next;
    answer();
    expect(await received).toBe('done');
    server?.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signal.aborted).toBe(false);
  });
});

describe('the signal as undici and node:http use it', () => {
  it('calls each listener once, in order, with an AbortError as its reason; removed ones not at all', async () => {
    const { port, next } = await serve();
    const sent = httpRequest({ port, host: '127.0.0.1', path: '/' });
    sent.on('error', () => undefined);
    sent.end();
    const { signal } = await next;
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', () => calls.push('first'));
    signal.addEventListener('abort', removed);
    signal.addEventListener('abort', () => calls.push('second'), { once: true });
    signal.removeEventListener('abort', removed);
    expect(signal.reason).toBeUndefined();
    const gone = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    sent.destroy();
    await gone;
    expect(calls).toEqual(['first', 'second']);
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('AbortError');
    signal.addEventListener('abort', () => calls.push('too late'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual(['first', 'second']);
  });

  it('stops a node:http request in flight when the client leaves', async () => {
    const { port, next } = await serve();
    const sent = httpRequest({ port, host: '127.0.0.1', path: '/' });
    sent.on('error', () => undefined);
    sent.end();
    const { signal } = await next;
    // A second request (as ContinueUpload sends one upstream) that never gets its answer, tied to the signal.
    const upstreamServer = createServer(() => undefined);
    await new Promise<void>((resolve) => upstreamServer.listen(0, '127.0.0.1', resolve));
    try {
      const failed = new Promise<Error>((resolve) => {
        const upstreamRequest = httpRequest({
          port: (upstreamServer.address() as AddressInfo).port,
          host: '127.0.0.1',
          path: '/',
          signal: signal as AbortSignal,
        });
        upstreamRequest.on('error', resolve);
        upstreamRequest.end();
      });
      sent.destroy();
      expect((await failed).name).toBe('AbortError');
    } finally {
      upstreamServer.closeAllConnections();
      await new Promise<void>((resolve) => upstreamServer.close(() => resolve()));
    }
  });
});
