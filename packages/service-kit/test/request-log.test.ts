// The per-request log line: where the request went as a route template with its parameter values and query,
// never the raw URL, and no email address's local part in it however the client encoded the address.
import { closeLogger } from '@backend-rebase/logger';
import { captureLogger, type CapturedLogger } from '@backend-rebase/logger/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';

let app: Service;
let log: CapturedLogger;

beforeAll(async () => {
  log = captureLogger();
  app = await buildApp({ logger: log.logger });
  app.get('/files/*', () => ({ found: true }));
});

afterAll(() => app.close());

let requests = 0;

async function lineOf(url: string, method: 'GET' | 'DELETE' = 'GET'): Promise<Record<string, unknown>> {
  const requestId = `log-${++requests}`;
  await app.inject({ method, url, headers: { 'x-request-id': requestId } });
  await closeLogger(log.logger);
  const lines = log.lines().filter((line) => line.requestId === requestId);
  const completed = lines.filter((line) => line.message === 'request completed');
  expect(completed).toHaveLength(1);
  // Every line of the request, the error lines included, is free of the local parts these tests use.
  expect(JSON.stringify(lines)).not.toMatch(/jane|tagged/i);
  return completed[0]!;
}

describe('the request line', () => {
  it('names the route template, its parameters and the query, not the URL', async () => {
    expect(await lineOf('/items/abc?limit=2')).toMatchObject({
      method: 'GET',
      route: '/items/:id',
      params: { id: 'abc' },
      query: 'limit=2',
      statusCode: 200,
    });
    expect(await lineOf('/items/abc?limit=2')).not.toHaveProperty('url');
    expect(await lineOf('/boom')).not.toHaveProperty('params');
  });

  it('masks an address in a parameter, however it was encoded', async () => {
    for (const written of [
      'jane@example.com',
      'jane%40example.com',
      'Jane%40Example.COM',
      'jane%2Btagged%40example.com',
      'jane%2btagged%40example.com',
      'jane%2540example.com',
      'jane%252540example.com',
      'jane@[127.0.0.1]',
      'jane%40%5BIPv6%3A%3A%3A1%5D',
      '%22jane%20tagged%22%40example.com',
      'j%C3%A9r%C3%B4me.jane%40example.com',
    ]) {
      const line = await lineOf(`/items/${written}`);
      expect(line).toMatchObject({ route: '/items/:id' });
      expect((line.params as { id: string }).id).toMatch(/^.\*\*\*@/u);
    }
    expect(await lineOf('/items/Jane%40Example.COM')).toMatchObject({ params: { id: 'J***@Example.COM' } });
    expect(await lineOf('/items/jane@[127.0.0.1]')).toMatchObject({ params: { id: 'j***@[127.0.0.1]' } });
    expect(await lineOf('/files/a/jane%40example.com')).toMatchObject({
      params: { '*': 'a***@example.com' },
    });
  });

  it('masks an address in the query, keeping the rest of it', async () => {
    expect(await lineOf('/items/abc?limit=x&owner=jane.doe%40example.com')).toMatchObject({
      query: 'limit=x&owner=j***%40example.com',
      statusCode: 400,
    });
    expect(await lineOf('/items/abc?jane%2540example.com')).toMatchObject({ query: 'j***%40example.com' });
  });

  it('logs the URL of a request that matched no route, each part masked', async () => {
    expect(await lineOf('/nowhere/abc?x=1')).toMatchObject({ url: '/nowhere/abc?x=1', statusCode: 404 });
    expect(await lineOf('/nowhere/jane%2Btagged%40example.com?to=jane@example.com')).toMatchObject({
      url: '/nowhere/j***%40example.com?to=j***%40example.com',
      statusCode: 404,
    });
    expect(await lineOf('/items/jane@example.com/other')).toMatchObject({
      url: '/items/j***%40example.com/other',
    });
    expect(await lineOf('/items', 'DELETE')).toMatchObject({ url: '/items', statusCode: 405 });
  });
});
