import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';
import { captureLogger } from '@backend-rebase/logger/testing';

interface Operation {
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}
interface OpenApi {
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

let app: Service;

beforeAll(async () => {
  app = await buildApp({ logger: captureLogger().logger });
});

afterAll(async () => {
  await app.close();
});

describe('OpenAPI docs', () => {
  it('describes the routes added after createService, with their schemas', async () => {
    const response = await app.inject({ url: '/docs/json' });
    const spec = response.json<OpenApi>();

    expect(response.statusCode).toBe(200);
    expect(spec.info).toEqual({ title: 'fixture', version: '1.2.3' });
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/items', '/items/{id}', '/health', '/ready', '/metrics']),
    );
    expect(spec.paths['/items']?.post?.requestBody?.content['application/json']?.schema).toMatchObject({
      type: 'object',
      required: ['name', 'email'],
      properties: { email: { type: 'string', format: 'email' } },
    });
  });

  it('describes problem responses as application/problem+json', async () => {
    const spec = (await app.inject({ url: '/docs/json' })).json<OpenApi>();
    const notFound = spec.paths['/items/{id}']?.get?.responses['404'];

    expect(notFound?.description).toBe('Not Found: RFC 9457 problem details');
    expect(Object.keys(notFound?.content ?? {})).toEqual(['application/problem+json']);
    expect(Object.keys(spec.paths['/items/{id}']?.get?.responses['200']?.content ?? {})).toEqual([
      'application/json',
    ]);
  });

  it("lists the guard's 401 and 403 on guarded routes only", async () => {
    const spec = (await app.inject({ url: '/docs/json' })).json<OpenApi>();
    const statuses = (url: string, method: string) => Object.keys(spec.paths[url]?.[method]?.responses ?? {});

    expect(statuses('/internal/stats', 'get')).toEqual(expect.arrayContaining(['401', '403']));
    expect(statuses('/items/{id}/cache', 'delete')).toEqual(expect.arrayContaining(['401', '403']));
    expect(statuses('/items/{id}', 'get')).not.toContain('401');
  });

  it('serves the Swagger UI at /docs', async () => {
    const response = await app.inject({ url: '/docs' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('Swagger UI');
  });
});
