// Why an upstream gave no answer, from the errors real exchanges fail with, and the status each one becomes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { failureKind, gatewayStatus, sendThrough, upstreamPool } from '../src/index.js';
import { closedPort, silent, startUpstream, type TestUpstream } from './support/upstream.js';

let upstream: TestUpstream | undefined;
let raw: Server | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
  raw?.close();
  raw = undefined;
});

async function failureOf(origin: string, timeoutMs = 5_000): Promise<unknown> {
  const pool = upstreamPool(origin, { connections: 1, connectTimeoutMs: 1_000 });
  try {
    const response = await sendThrough(
      pool,
      { method: 'GET', path: '/blobs/a', headers: {}, signal: new AbortController().signal },
      timeoutMs,
    );
    await response.body.text();
    throw new Error(`expected a failure, got ${response.statusCode}`);
  } catch (error) {
    return error;
  } finally {
    await pool.destroy();
  }
}

describe('failureKind and gatewayStatus', () => {
  it('an upstream nobody listens on is unreachable: 502', async () => {
    const error = await failureOf(`http://127.0.0.1:${await closedPort()}`);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(failureKind(error)).toBe('unreachable');
    expect(gatewayStatus(failureKind(error))).toBe(502);
  });

  it('an upstream that sends no headers within the timeout is a timeout: 504', async () => {
    upstream = await startUpstream(silent);
    const error = await failureOf(upstream.origin, 200);
    expect(error).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(failureKind(error)).toBe('timeout');
    expect(gatewayStatus(failureKind(error))).toBe(504);
  });

  it('an upstream that goes silent mid-body is a timeout: 504', async () => {
    upstream = await startUpstream((_request, response) => {
      response.writeHead(200, { 'content-length': '10' });
      response.write('12345');
    });
    const error = await failureOf(upstream.origin, 200);
    expect(error).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    expect(gatewayStatus(failureKind(error))).toBe(504);
  });

  it('an upstream that closes the connection mid-exchange is broken: 502', async () => {
    raw = createServer((request) => request.socket.destroy());
    await new Promise<void>((resolve) => raw?.listen(0, '127.0.0.1', resolve));
    const error = await failureOf(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`);
    expect(failureKind(error)).toBe('broken');
    expect(gatewayStatus(failureKind(error))).toBe(502);
  });

  it('anything without a known code is broken', () => {
    expect(failureKind(new Error('x'))).toBe('broken');
    expect(failureKind(undefined)).toBe('broken');
    expect(failureKind(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }))).toBe('timeout');
  });
});
