import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeLogger, createLogger } from '../src/index.js';
import type { WinstonLogger } from '../src/logger.js';
import { captureLines } from '../src/testing.js';

interface Received {
  url: string;
  lines: Record<string, unknown>[];
}

// A stand-in Logz.io listener: records each bulk it is sent (newline-delimited JSON).
let listener: Server;
let received: Received[];
let listenerAddress: string;

beforeEach(async () => {
  received = [];
  listener = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const lines = body
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      received.push({ url: request.url ?? '', lines });
      response.end('ok');
    });
  });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  listenerAddress = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
});

afterEach(async () => {
  listener.closeAllConnections();
  listener.close();
  await once(listener, 'close');
});

const logzioEnv = () => ({
  LOGZIO_TOKEN: 'test-token',
  LOGZIO_LISTENER: listenerAddress,
  LOGZIO_PROTOCOL: 'http',
});

describe('Logz.io shipping', () => {
  it('is not attempted without LOGZIO_TOKEN', async () => {
    const logger = createLogger({
      service: 's',
      env: { LOGZIO_LISTENER: listenerAddress },
      stream: captureLines().stream,
    });

    logger.info('local only');
    await closeLogger(logger);

    expect((logger as WinstonLogger).winston.transports).toHaveLength(1);
    expect(received).toEqual([]);
  });

  it('ships lines with the token when LOGZIO_TOKEN is set, and closeLogger sends the buffer', async () => {
    const { stream, records } = captureLines();
    const logger = createLogger({ service: 'blob-server', env: logzioEnv(), stream });

    logger.info('shipped', { blobId: 'b1', owner: 'jane@example.com' });
    await closeLogger(logger);

    const shipped = received.flatMap(({ lines }) => lines);
    expect(shipped).toContainEqual(
      expect.objectContaining({
        message: 'shipped',
        blobId: 'b1',
        owner: 'j***@example.com', // masked on the way to Logz.io too
        service: 'blob-server',
        type: 'blob-server',
      }),
    );
    expect(received.map(({ url }) => new URL(url, 'http://x').searchParams.get('token'))).toContain(
      'test-token',
    );
    expect(records()).toMatchObject([{ message: 'shipped' }]); // stdout still gets every line
  });

  it('closeLogger is bounded when the listener never answers', async () => {
    listener.removeAllListeners('request'); // accept the request, never respond
    const logger = createLogger({ service: 's', env: logzioEnv(), stream: captureLines().stream });
    logger.info('stuck');

    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);

    const started = Date.now();
    await closeLogger(logger, 300);

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(stderr).toHaveBeenCalledWith(expect.stringContaining('longer than 300 ms'));
    stderr.mockRestore();
  });

  it('rejects a bad LOGZIO_PROTOCOL or LOGZIO_LISTENER with the variable named', () => {
    const env = { LOGZIO_TOKEN: 't' };
    expect(() => createLogger({ service: 's', env: { ...env, LOGZIO_PROTOCOL: 'udp' } })).toThrow(
      'LOGZIO_PROTOCOL must be https or http, got "udp"',
    );
    expect(() => createLogger({ service: 's', env: { ...env, LOGZIO_LISTENER: 'https://x/path' } })).toThrow(
      /LOGZIO_LISTENER must be a host or host:port/,
    );
  });

  it('lets the process exit by itself once closeLogger resolves', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = fileURLToPath(new URL('fixtures/ship-and-exit.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', tsx, script], {
      env: { ...process.env, ...logzioEnv() },
      stdio: 'ignore',
    });

    const started = Date.now();
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000); // winston-logzio's timer alone would hold it for 10 s
    expect(received.flatMap(({ lines }) => lines)).toContainEqual(
      expect.objectContaining({ message: 'last words' }),
    );
  }, 15_000);
});
