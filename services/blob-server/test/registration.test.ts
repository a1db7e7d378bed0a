// Joining the cluster: retries with backoff until the balancer accepts, stops at a refusal retrying cannot
// change, and stops when the server shuts down.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '@backend-rebase/logger/testing';
import { registerWithLoadBalancer } from '../src/cluster/registration.js';

let balancer: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (balancer ? balancer.close(resolve) : resolve(undefined)));
  balancer = undefined;
});

interface Seen {
  body: unknown;
  authorization: string | undefined;
}

/** A stand-in balancer that answers the statuses given, one per request, then the last one forever. */
async function fakeBalancer(statuses: number[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  balancer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ body: JSON.parse(body) as unknown, authorization: request.headers.authorization });
      const status = statuses[Math.min(seen.length - 1, statuses.length - 1)] ?? 500;
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => balancer?.listen(0, '127.0.0.1', resolve));
  const { port } = balancer.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

const node = { name: 'blob-7', host: '10.0.0.7', port: 3001 };

describe('registerWithLoadBalancer', () => {
  it('retries through failures until the balancer accepts, with the token', async () => {
    const { url, seen } = await fakeBalancer([503, 502, 201]);
    const { logger, lines } = captureLogger();

    const result = await registerWithLoadBalancer({
      ...node,
      loadBalancerUrl: url,
      internalToken: 'tok',
      logger,
      signal: new AbortController().signal,
      initialDelayMs: 5,
    });

    expect(result).toBe('registered');
    expect(seen).toHaveLength(3);
    expect(seen[0]).toEqual({
      body: { name: 'blob-7', destination: { host: '10.0.0.7', port: 3001 } },
      authorization: 'Bearer tok',
    });
    expect(lines().filter((line) => line.message === 'registration failed; retrying')).toHaveLength(2);
  });

  it('keeps trying while the balancer is not even listening', async () => {
    const { url, seen } = await fakeBalancer([200]);
    const port = Number(new URL(url).port);
    await new Promise((resolve) => balancer?.close(resolve));
    const { logger, lines } = captureLogger();
    const registering = registerWithLoadBalancer({
      ...node,
      loadBalancerUrl: url,
      logger,
      signal: new AbortController().signal,
      initialDelayMs: 5,
      maxDelayMs: 20,
    });
    while (lines().length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise<void>((resolve) => balancer?.listen(port, '127.0.0.1', resolve));

    expect(await registering).toBe('registered');
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it('gives up on a refusal that retrying cannot change', async () => {
    const { url, seen } = await fakeBalancer([403]);
    const { logger, lines } = captureLogger();
    const result = await registerWithLoadBalancer({
      ...node,
      loadBalancerUrl: url,
      logger,
      signal: new AbortController().signal,
      initialDelayMs: 5,
    });
    expect(result).toBe('refused');
    expect(seen).toHaveLength(1);
    expect(lines().at(-1)).toMatchObject({ level: 'error', status: 403 });
  });

  it('stops when the server shuts down', async () => {
    const { url } = await fakeBalancer([503]);
    const { logger } = captureLogger();
    const stop = new AbortController();
    const registering = registerWithLoadBalancer({
      ...node,
      loadBalancerUrl: url,
      logger,
      signal: stop.signal,
      initialDelayMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop.abort();
    expect(await registering).toBe('stopped');
  });
});
