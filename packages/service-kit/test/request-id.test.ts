import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeLogger } from '@backend-rebase/logger';
import type { Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';
import { captureLogger, type CapturedLogger } from '@backend-rebase/logger/testing';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let app: Service;
let log: CapturedLogger;

beforeAll(async () => {
  log = captureLogger();
  app = await buildApp({ logger: log.logger });
  app.get('/logs', (request) => {
    request.logger.warn('route line', { extra: 1 });
    return {};
  });
  app.get('/beacon/:outcome', { config: { quietSuccess: true } }, async (request, reply) => {
    const { outcome } = request.params as { outcome: string };
    return reply.code(outcome === 'ok' ? 200 : 400).send({ outcome });
  });
});

afterAll(async () => {
  await app.close();
});

describe('request ids', () => {
  it('echoes a sane incoming x-request-id', async () => {
    const response = await app.inject({ url: '/health', headers: { 'x-request-id': 'trace-42' } });

    expect(response.headers['x-request-id']).toBe('trace-42');
  });

  it('generates a UUID when none is sent', async () => {
    const response = await app.inject({ url: '/health' });

    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'a b'],
    ['non-ASCII', 'idé'],
  ])('replaces an incoming id that is %s', async (_, id) => {
    const response = await app.inject({ url: '/health', headers: { 'x-request-id': id } });

    expect(response.headers['x-request-id']).toMatch(UUID);
  });

  it.each([
    ['a 404', '/missing'],
    ['a 500', '/boom'],
    ['a 400', '/items/%E0%A4%A'],
  ])('is on %s too', async (_, url) => {
    const sent = await app.inject({ url, headers: { 'x-request-id': 'err-1' } });
    const generated = await app.inject({ url });

    expect(sent.headers['x-request-id']).toBe('err-1');
    expect(generated.headers['x-request-id']).toMatch(UUID);
  });

  it('is on every log line of the request', async () => {
    await app.inject({ url: '/items/abc', headers: { 'x-request-id': 'logged-7' } });
    await closeLogger(log.logger);

    const lines = log.lines().filter((line) => line.requestId === 'logged-7');
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'request completed',
        method: 'GET',
        route: '/items/:id',
        params: { id: 'abc' },
        statusCode: 200,
      }),
    ]);
  });

  it('is on the lines a route writes with request.logger', async () => {
    await app.inject({ url: '/logs', headers: { 'x-request-id': 'route-9' } });
    await closeLogger(log.logger);

    expect(log.lines().filter((line) => line.requestId === 'route-9')).toEqual([
      expect.objectContaining({ level: 'warn', message: 'route line', extra: 1 }),
      expect.objectContaining({ level: 'info', message: 'request completed', route: '/logs' }),
    ]);
  });
});

describe('the request log', () => {
  it('keeps successful probes out of the info log, and failing ones in it', async () => {
    await app.inject({ url: '/health', headers: { 'x-request-id': 'probe-ok' } });
    await app.inject({ url: '/metrics', headers: { 'x-request-id': 'scrape-ok' } });
    await app.inject({ url: '/items/abc', headers: { 'x-request-id': 'real-work' } });
    await closeLogger(log.logger);

    const ids = log.lines().map((line) => line.requestId);
    expect(ids).toContain('real-work');
    expect(ids).not.toContain('probe-ok');
    expect(ids).not.toContain('scrape-ok');
  });

  it('keeps the successes of a quietSuccess route out of the info log, and its failures in it', async () => {
    await app.inject({ url: '/beacon/ok', headers: { 'x-request-id': 'beacon-ok' } });
    await app.inject({ url: '/beacon/bad', headers: { 'x-request-id': 'beacon-bad' } });
    await closeLogger(log.logger);

    const ids = log.lines().map((line) => line.requestId);
    expect(ids).toContain('beacon-bad');
    expect(ids).not.toContain('beacon-ok');
  });
});
