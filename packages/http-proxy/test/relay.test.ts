// The answer to a proxied request, through a real kit app in front of a real upstream: upstream's answer relayed
// with its end-to-end headers and the proxy's own, HEAD/204/304 without a body, the proxy's 502/504 as
// problem+json, and nothing at all for a client that left.
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '@backend-rebase/service-kit';
import { ADDED, startProxy } from './support/proxy-app.js';
import { answerText, closedPort, silent, startUpstream, type TestUpstream } from './support/upstream.js';

let upstream: TestUpstream | undefined;
let proxy: { app: Service; url: string } | undefined;
afterEach(async () => {
  await proxy?.app.close();
  proxy = undefined;
  await upstream?.close();
  upstream = undefined;
});

describe('relayAnswer', () => {
  it("relays upstream's status, end-to-end headers and body, with the proxy's headers added", async () => {
    upstream = await startUpstream(
      answerText(200, 'blob bytes', {
        etag: '"7"',
        'keep-alive': 'timeout=5',
        connection: 'x-hop',
        'x-hop': '1',
      }),
    );
    proxy = await startProxy(upstream.origin);
    const response = await request(`${proxy.url}/blobs/a?v=1`);
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('blob bytes');
    expect(response.headers.etag).toBe('"7"');
    expect(response.headers['x-served-by']).toBe(ADDED['x-served-by']);
    expect(response.headers['x-hop']).toBeUndefined();
    expect(upstream.seen[0]?.url).toBe('/blobs/a?v=1');
  });

  it.each([
    ['HEAD', 200],
    ['GET', 204],
    ['GET', 304],
  ] as const)('sends a %s answer with status %d without a body', async (method, status) => {
    upstream = await startUpstream((request, response) => {
      request.resume();
      response.writeHead(status, { etag: '"7"', ...(status === 200 ? { 'content-length': '10' } : {}) });
      response.end();
    });
    proxy = await startProxy(upstream.origin);
    const response = await request(`${proxy.url}/blobs/a`, { method });
    expect(response.statusCode).toBe(status);
    expect(response.headers.etag).toBe('"7"');
    expect(response.headers['x-served-by']).toBe('test');
    expect(await response.body.text()).toBe('');
  });
});

describe('proxyProblem', () => {
  it('answers 502 problem+json when upstream cannot be reached', async () => {
    proxy = await startProxy(`http://127.0.0.1:${await closedPort()}`);
    const response = await request(`${proxy.url}/blobs/a`);
    expect(response.statusCode).toBe(502);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await response.body.json()).toMatchObject({ status: 502, detail: 'the upstream gave no answer' });
    expect(response.headers['x-served-by']).toBe('test');
  });

  it('answers 504 problem+json when upstream is too slow', async () => {
    upstream = await startUpstream(silent);
    proxy = await startProxy(upstream.origin, 200);
    const response = await request(`${proxy.url}/blobs/a`);
    expect(response.statusCode).toBe(504);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await response.body.json()).toMatchObject({ status: 504 });
  });
});

describe('a client that leaves', () => {
  it('stops the upstream request, and gets no answer', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    upstream = await startUpstream((request) => request.socket.once('close', upstreamClosed));
    proxy = await startProxy(upstream.origin);
    const controller = new AbortController();
    const sent = request(`${proxy.url}/blobs/a`, { signal: controller.signal });
    while (upstream.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await expect(sent).rejects.toThrow();
    await closed;
  });
});
