import { afterEach, describe, expect, it } from 'vitest';
import type { Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';
import { captureLogger } from '@backend-rebase/logger/testing';

let app: Service | undefined;

afterEach(async () => {
  await app?.close();
});

async function start(
  options: Parameters<typeof buildApp>[0] extends infer O ? Omit<O, 'logger'> : never = {},
) {
  app = await buildApp({ logger: captureLogger().logger, ...options });
  return app;
}

describe('GET /health', () => {
  it('passes while the process runs', async () => {
    const response = await (await start()).inject({ url: '/health' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ status: 'pass' });
  });
});

describe('GET /ready', () => {
  it('passes when every check resolves', async () => {
    const service = await start({
      readiness: { database: () => Promise.resolve(), disk: () => Promise.resolve() },
    });

    const response = await service.inject({ url: '/ready' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'pass',
      checks: { database: { status: 'pass' }, disk: { status: 'pass' } },
    });
  });

  it('fails with 503 and the failing check’s reason', async () => {
    const service = await start({
      readiness: {
        database: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
        disk: () => Promise.resolve(),
      },
    });

    const response = await service.inject({ url: '/ready' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'fail',
      checks: {
        database: { status: 'fail', detail: 'connect ECONNREFUSED 127.0.0.1:5432' },
        disk: { status: 'pass' },
      },
    });
  });

  it('bounds a check that never answers', async () => {
    const service = await start({
      readinessTimeoutMs: 100,
      readiness: { stuck: () => new Promise(() => {}) },
    });

    const started = Date.now();
    const response = await service.inject({ url: '/ready' });

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      status: 'fail',
      checks: { stuck: { status: 'fail', detail: 'no answer within 100 ms' } },
    });
  });

  it('runs the checks in parallel', async () => {
    const slow = () => new Promise((resolve) => setTimeout(resolve, 150));
    const service = await start({ readiness: { a: slow, b: slow, c: slow } });

    const started = Date.now();
    await service.inject({ url: '/ready' });

    expect(Date.now() - started).toBeLessThan(400);
  });

  it('takes checks added after creation, once the service has warmed up', async () => {
    const service = await start();
    let warm = false;
    service.addReadinessCheck('warm-up', () =>
      warm ? Promise.resolve() : Promise.reject(new Error('still loading the ring')),
    );

    const before = await service.inject({ url: '/ready' });
    warm = true;
    const after = await service.inject({ url: '/ready' });

    expect(before.json()).toMatchObject({
      status: 'fail',
      checks: { 'warm-up': { detail: 'still loading the ring' } },
    });
    expect(after.statusCode).toBe(200);
  });
});
