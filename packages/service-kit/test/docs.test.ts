import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';
import { captureLogger } from '@backend-rebase/logger/testing';

interface OpenApi {
  info: { title: string; version: string };
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
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

  it('serves the Swagger UI at /docs', async () => {
    const response = await app.inject({ url: '/docs' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('Swagger UI');
  });
});
