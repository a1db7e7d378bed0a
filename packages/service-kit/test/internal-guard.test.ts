import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopback, type Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';
import { captureLogger } from '@backend-rebase/logger/testing';

let app: Service | undefined;

afterEach(async () => {
  await app?.close();
});

/** Listens on a real socket, so the guard sees a real peer address. */
async function listen(internalToken?: string): Promise<string> {
  app = await buildApp({ logger: captureLogger().logger, internalToken });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await request(url, { headers });
  return { status: response.statusCode, headers: response.headers, body: await response.body.json() };
}

describe('/internal/* with INTERNAL_TOKEN set', () => {
  it('401 with WWW-Authenticate when the token is missing', async () => {
    const base = await listen('s3cret-token');

    const response = await get(`${base}/internal/stats`);

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it.each([
    ['a wrong token', 'Bearer s3cret-tokem'],
    ['a prefix of the token', 'Bearer s3cret'],
    ['another scheme', 'Basic s3cret-token'],
  ])('401 with %s', async (_, authorization) => {
    const base = await listen('s3cret-token');

    expect((await get(`${base}/internal/stats`, { authorization })).status).toBe(401);
  });

  it('200 with the right token', async () => {
    const base = await listen('s3cret-token');

    const response = await get(`${base}/internal/stats`, { authorization: 'Bearer s3cret-token' });

    expect(response).toMatchObject({ status: 200, body: { items: 1 } });
  });

  it('guards the matched route, so an encoded path does not slip past', async () => {
    const base = await listen('s3cret-token');

    expect((await get(`${base}/%69nternal/stats`)).status).toBe(401);
  });

  it('leaves other routes alone', async () => {
    const base = await listen('s3cret-token');

    expect((await get(`${base}/items/1`)).status).toBe(200);
  });

  it('guards a route outside /internal/ that declares config.internal', async () => {
    app = await buildApp({ logger: captureLogger().logger, internalToken: 's3cret-token' });

    expect((await app.inject({ method: 'DELETE', url: '/items/1/cache' })).statusCode).toBe(401);
    const allowed = await app.inject({
      method: 'DELETE',
      url: '/items/1/cache',
      headers: { authorization: 'Bearer s3cret-token' },
    });
    expect(allowed.statusCode).toBe(200);
  });
});

describe('/internal/* without INTERNAL_TOKEN', () => {
  it('serves a loopback client', async () => {
    const base = await listen();

    expect(await get(`${base}/internal/stats`)).toMatchObject({ status: 200, body: { items: 1 } });
  });

  it.each(['10.0.0.1', '192.168.1.20', '::ffff:10.0.0.1', '2001:db8::1'])(
    '403 for %s',
    async (remoteAddress) => {
      app = await buildApp({ logger: captureLogger().logger });

      const response = await app.inject({ url: '/internal/stats', remoteAddress });

      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    },
  );

  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('serves %s', async (remoteAddress) => {
    app = await buildApp({ logger: captureLogger().logger });

    expect((await app.inject({ url: '/internal/stats', remoteAddress })).statusCode).toBe(200);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::2', false],
    ['::ffff:10.0.0.1', false],
  ])('%s → %s', (ip, expected) => {
    expect(isLoopback(ip)).toBe(expected);
  });
});
