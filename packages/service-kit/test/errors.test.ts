import { connect, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeLogger } from '@backend-rebase/logger';
import type { Service } from '../src/index.js';
import { buildApp } from './fixtures/app.js';
import { captureLogger, type CapturedLogger } from '@backend-rebase/logger/testing';

let app: Service;
let log: CapturedLogger;

beforeEach(async () => {
  log = captureLogger();
  app = await buildApp({ logger: log.logger, bodyLimit: 200 });
});

afterEach(async () => {
  await app.close();
});

function expectProblem(response: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
}

describe('problem+json errors', () => {
  it('400 on a schema violation, naming the field and the rule', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      payload: { name: 'a', email: 'not-an-email' },
    });

    expectProblem(response, 400);
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'body/email must match format "email"',
      errors: [{ field: 'body/email', message: 'must match format "email"' }],
    });
  });

  it('400 naming a missing field, and the allowed values of a union of constants', async () => {
    const missing = await app.inject({ method: 'POST', url: '/items', payload: { email: 'a@example.com' } });
    const wrongSize = await app.inject({
      method: 'POST',
      url: '/items',
      payload: { name: 'a', email: 'a@example.com', size: 'huge' },
    });

    expect(missing.json()).toMatchObject({ status: 400, detail: 'body/name is required' });
    expect(wrongSize.json()).toMatchObject({
      status: 400,
      detail: 'body/size must be one of "small", "large"',
    });
  });

  it('400 for a body field of the wrong type: bodies are not coerced', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      payload: { name: 'a', email: 'a@example.com', quantity: '3' },
    });

    expectProblem(response, 400);
    expect(response.json()).toMatchObject({ detail: 'body/quantity must be integer' });
  });

  it('400 naming a body field the schema does not allow, instead of dropping it', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      payload: { name: 'a', email: 'a@example.com', colour: 'red' },
    });

    expectProblem(response, 400);
    expect(response.json()).toMatchObject({ detail: 'body/colour is not allowed' });
  });

  it('query strings are still read from text: ?limit=5 is the integer 5, ?limit=five a 400', async () => {
    const ok = await app.inject({ method: 'GET', url: '/items/a?limit=5' });
    const bad = await app.inject({ method: 'GET', url: '/items/a?limit=five' });

    expect(ok.json()).toEqual({ id: 'a', limit: 5 });
    expectProblem(bad, 400);
    expect(bad.json()).toMatchObject({ detail: 'querystring/limit must be integer' });
  });

  it('400 on malformed JSON', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });

    expectProblem(response, 400);
    expect(response.json<{ detail: string }>().detail).toMatch(/not valid JSON/);
  });

  it('415 on an unsupported media type', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': 'text/csv' },
      payload: 'a,b',
    });

    expectProblem(response, 415);
    expect(response.json()).toMatchObject({ title: 'Unsupported Media Type' });
    expect(response.json<{ detail: string }>().detail).toContain('text/csv');
  });

  it('413 on a body over the limit, saying the limit', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      payload: { name: 'x'.repeat(500), email: 'a@example.com' },
    });

    expectProblem(response, 413);
    expect(response.json<{ detail: string }>().detail).toContain('200 bytes');
  });

  it('404 naming the method and path of an unknown route', async () => {
    const response = await app.inject({ method: 'GET', url: '/nothing/here?q=1' });

    expectProblem(response, 404);
    expect(response.json()).toMatchObject({ title: 'Not Found', detail: 'No route for GET /nothing/here' });
  });

  it('405 with an Allow header when the path exists for other methods', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/items/abc' });

    expectProblem(response, 405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('the status and detail of a thrown HttpProblem', async () => {
    const response = await app.inject({ method: 'GET', url: '/items/missing' });

    expectProblem(response, 404);
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No item with id "missing"',
    });
  });

  it('500 with a generic detail for an unexpected error; message and stack only in the log', async () => {
    const response = await app.inject({ method: 'GET', url: '/boom' });
    await closeLogger(log.logger);

    expectProblem(response, 500);
    expect(response.body).not.toContain('secret');
    expect(response.body).not.toContain('stack');
    expect(response.body).not.toContain('.ts');
    expect(response.json()).toMatchObject({ title: 'Internal Server Error', status: 500 });
    const logged = log.lines().find((line) => line.message === 'request failed');
    expect(logged).toMatchObject({ level: 'error', requestId: response.headers['x-request-id'] });
    const { message, stack } = logged?.err as { message: string; stack: string };
    expect(message).toContain('secret');
    expect(stack).toContain('fixtures/app.ts');
  });

  it('400 problem for a malformed URL, found before routing', async () => {
    const response = await app.inject({ method: 'GET', url: '/items/%E0%A4%A' });

    expectProblem(response, 400);
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });
});

describe('requests Node cannot parse', () => {
  async function sendRaw(bytes: string, halfClose: boolean): Promise<string> {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write(bytes);
    if (halfClose) socket.end();
    await new Promise((resolve) => socket.on('close', resolve));
    return answer;
  }

  it('a body cut short by a half-close is a 400 problem, and the connection closes', async () => {
    const answer = await sendRaw(
      'POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\nshort',
      true,
    );

    expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(answer).toContain('content-type: application/problem+json; charset=utf-8');
    expect(answer).toContain('"detail":"the connection ended before the request was complete"');
  });

  it('bytes that are not HTTP are a 400 problem', async () => {
    const answer = await sendRaw('HELLO THERE\r\n\r\n', false);

    expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(answer).toContain('"detail":"the request is not valid HTTP (HPE_INVALID_METHOD)"');
  });
});
