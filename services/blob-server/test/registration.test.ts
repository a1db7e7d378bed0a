// Membership: the node announces itself, then keeps announcing every interval (a heartbeat), retries with a
// capped backoff while the balancer is down or failing, stops for good when it is removed (410) or refused
// (another 4xx), and stops when the server shuts down. A stand-in balancer (node:http) records every request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '@backend-rebase/logger/testing';
import { announceToLoadBalancer, type AnnouncementOptions } from '../src/cluster/registration.js';

let balancer: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (balancer?.listening ? balancer.close(resolve) : resolve(undefined)));
  balancer = undefined;
});

interface Seen {
  body: unknown;
  authorization: string | undefined;
}

/** A stand-in balancer that answers the statuses given, one per request, then the last one forever. */
async function fakeBalancer(statuses: number[], port = 0): Promise<{ url: string; seen: Seen[] }> {
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
  await new Promise<void>((resolve) => balancer?.listen(port, '127.0.0.1', resolve));
  const address = balancer.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, seen };
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const node = { name: 'blob-7', host: '10.0.0.7', port: 3001, bootId: 'boot-1' };

/** Waits that return at once, recorded: the schedule of a run without its time. */
function recordedWaits() {
  const waits: number[] = [];
  return {
    waits,
    wait: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

function announce(url: string, options: Partial<AnnouncementOptions> = {}) {
  const { logger, lines } = captureLogger('blob-server', 'debug');
  const stop = new AbortController();
  const result = announceToLoadBalancer({
    ...node,
    loadBalancerUrl: url,
    intervalMs: 100,
    logger,
    signal: stop.signal,
    initialDelayMs: 5,
    ...options,
  });
  return { result, lines, stop };
}

describe('announceToLoadBalancer', () => {
  it('registers, then announces itself again every interval with the same body and token', async () => {
    const { url, seen } = await fakeBalancer([201, 200]);
    const { result, lines, stop } = announce(url, { internalToken: 'tok', intervalMs: 100 });

    await eventually(() => seen.length >= 3, 'three announcements');
    stop.abort();
    expect(await result).toBe('stopped');
    const expected = {
      body: { name: 'blob-7', destination: { host: '10.0.0.7', port: 3001 }, bootId: 'boot-1' },
      authorization: 'Bearer tok',
    };
    expect(seen.slice(0, 3)).toEqual([expected, expected, expected]);
    // One line for joining, none per heartbeat.
    expect(lines().filter((line) => line.message === 'registered with the load balancer')).toHaveLength(1);
  });

  it('waits the interval after a success, and backs off after failures up to min(2 s, interval)', async () => {
    const statuses = [503, 502, 503, 503, 503, 503, 503, 200, 200, 503, 200, 410];
    const { url, seen } = await fakeBalancer(statuses);
    const { waits, wait } = recordedWaits();
    const { result, lines } = announce(url, { intervalMs: 10_000, initialDelayMs: 250, wait });

    expect(await result).toBe('removed');
    expect(seen).toHaveLength(statuses.length);
    // After a failure: the doubling delay with jitter (half to all of it), capped at 2 s; after a success: the
    // interval, and the backoff starts over.
    const bounds = [250, 500, 1000, 2000, 2000, 2000, 2000, 'interval', 'interval', 250, 'interval'];
    expect(waits).toHaveLength(bounds.length);
    waits.forEach((ms, index) => {
      const bound = bounds[index];
      if (bound === 'interval') expect(ms).toBe(10_000);
      else expect([index, ms >= (bound as number) / 2 && ms <= (bound as number)]).toEqual([index, true]);
    });
    // A run of failures is one warning, and its end a line of its own.
    const messages = lines().map((line) => [line.level, line.message]);
    expect(messages.filter(([level]) => level === 'warn')).toHaveLength(3); // two runs, and the removal
    expect(messages).toContainEqual(['info', 'the load balancer is reachable again']);
  });

  it('caps the backoff at the interval when the interval is shorter than 2 s', async () => {
    const { url } = await fakeBalancer([503, 503, 503, 503, 503, 403]);
    const { waits, wait } = recordedWaits();
    const { result } = announce(url, { intervalMs: 300, initialDelayMs: 250, wait });
    expect(await result).toBe('refused');
    expect(waits).toHaveLength(5);
    for (const ms of waits.slice(1)) expect(ms).toBeLessThanOrEqual(300);
    expect(Math.max(...waits.slice(2))).toBeGreaterThanOrEqual(150);
  });

  it('keeps trying while the balancer is not even listening, and announces once it is back', async () => {
    const { url } = await fakeBalancer([200]);
    const port = Number(new URL(url).port);
    await new Promise((resolve) => balancer?.close(resolve));
    const { result, lines, stop } = announce(url, { intervalMs: 100 });
    await eventually(() => lines().length >= 2, 'two failed attempts');
    expect(lines()[0]).toMatchObject({
      level: 'warn',
      message: 'announcing to the load balancer failed; retrying',
    });
    expect(lines()[1]).toMatchObject({ level: 'debug' });

    const back = await fakeBalancer([200], port);
    await eventually(
      () => lines().some((line) => line.message === 'registered with the load balancer'),
      'the registration',
    );
    stop.abort();
    expect(await result).toBe('stopped');
    expect(back.seen[0]?.body).toMatchObject({ name: 'blob-7', bootId: 'boot-1' });
  });

  it('stops for good when the balancer answers 410: the node was removed from the cluster', async () => {
    const { url, seen } = await fakeBalancer([200, 200, 410, 200]);
    const { result, lines } = announce(url, { intervalMs: 100 });
    expect(await result).toBe('removed');
    expect(seen).toHaveLength(3);
    expect(lines().at(-1)).toMatchObject({
      level: 'warn',
      status: 410,
      message:
        'the load balancer removed this node from the cluster; no longer announcing it (restart the node to rejoin)',
    });
  });

  it('gives up on another 4xx, which retrying cannot change', async () => {
    const { url, seen } = await fakeBalancer([403]);
    const { result, lines } = announce(url);
    expect(await result).toBe('refused');
    expect(seen).toHaveLength(1);
    expect(lines().at(-1)).toMatchObject({ level: 'error', status: 403 });
  });

  it('stops when the server shuts down, even in the middle of a wait', async () => {
    const { url, seen } = await fakeBalancer([503]);
    const { result, stop } = announce(url, { initialDelayMs: 60_000, intervalMs: 60_000 });
    await eventually(() => seen.length === 1, 'the first attempt');
    stop.abort();
    expect(await result).toBe('stopped');
  });
});
