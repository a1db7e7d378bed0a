// `Expect: 100-continue`: every route says 100 Continue at once, as Node did by itself, unless it defers it
// (config.deferContinue) to decide from the headers first; an answer given without a 100 closes the connection.
// node:http's client sends the headers, and the body only on 'continue'.
import { Agent, request } from 'node:http';
import type { Readable } from 'node:stream';
import { captureLogger } from '@backend-rebase/logger/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acceptRawBodies,
  createService,
  HttpProblem,
  sendContinue,
  Type,
  type Service,
} from '../src/index.js';

let app: Service | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listen(internalToken?: string): Promise<number> {
  app = await createService({ name: 'continue', logger: captureLogger().logger, internalToken });
  app.post('/echo', { schema: { body: Type.Object({ word: Type.String() }) } }, (incoming) => incoming.body);
  app.post('/internal/echo', (incoming) => incoming.body);
  await app.register((scope, _options, done) => {
    acceptRawBodies(scope);
    scope.put('/uploads/:name', { config: { deferContinue: true } }, async (incoming, reply) => {
      if (incoming.headers['x-refuse'] !== undefined) throw new HttpProblem(422, 'refused from the headers');
      sendContinue(incoming);
      let bytes = 0;
      for await (const chunk of incoming.body as Readable) bytes += (chunk as Buffer).length;
      return reply.send({ bytes });
    });
    done();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

interface Answer {
  status: number;
  continued: boolean;
  connection: string | undefined;
  body: string;
}

function send(
  port: number,
  method: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
  expectContinue = true,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let continued = false;
    // Keep-alive, so a `Connection: close` in the answer is the server's choice.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const outgoing = request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...(expectContinue ? { expect: '100-continue' } : {}),
        ...headers,
      },
    });
    outgoing.on('continue', () => {
      continued = true;
      outgoing.end(body);
    });
    outgoing.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        resolve({
          status: response.statusCode ?? 0,
          continued,
          connection: response.headers.connection,
          body: text,
        });
        if (!continued) outgoing.destroy();
        agent.destroy();
      });
    });
    outgoing.on('error', reject);
    if (expectContinue) outgoing.flushHeaders();
    else outgoing.end(body);
  });
}

describe('Expect: 100-continue', () => {
  it('says 100 Continue at once on an ordinary route, and parses the body it then gets', async () => {
    const port = await listen();
    const answer = await send(port, 'POST', '/echo', '{"word":"hi"}');
    expect(answer).toMatchObject({ status: 200, continued: true, body: '{"word":"hi"}' });
    expect(answer.connection).not.toBe('close');
  });

  it('lets a deferring route read the body once it has said 100 Continue', async () => {
    const port = await listen();
    const answer = await send(port, 'PUT', '/uploads/a', 'x'.repeat(5000));
    expect(answer).toMatchObject({ status: 200, continued: true, body: '{"bytes":5000}' });
    expect(answer.connection).not.toBe('close');
  });

  it('lets a deferring route refuse from the headers: no 100, and the connection closes', async () => {
    const port = await listen();
    const answer = await send(port, 'PUT', '/uploads/a', 'x'.repeat(5000), { 'x-refuse': 'yes' });
    expect(answer).toMatchObject({ status: 422, continued: false, connection: 'close' });
    expect(JSON.parse(answer.body)).toMatchObject({ detail: 'refused from the headers' });
  });

  it('sends no 100 when the /internal guard refuses', async () => {
    const port = await listen('s3cret');
    const refused = await send(port, 'POST', '/internal/echo', '{"word":"hi"}');
    expect(refused).toMatchObject({ status: 401, continued: false, connection: 'close' });
    const allowed = await send(port, 'POST', '/internal/echo', '{"word":"hi"}', {
      authorization: 'Bearer s3cret',
    });
    expect(allowed).toMatchObject({ status: 200, continued: true });
  });

  it('changes nothing for a request without Expect', async () => {
    const port = await listen();
    const answer = await send(port, 'PUT', '/uploads/a', 'abc', {}, false);
    expect(answer).toMatchObject({ status: 200, continued: false, body: '{"bytes":3}' });
    expect(answer.connection).not.toBe('close');
  });

  it('serves inject(), which has no 100 to send, as before', async () => {
    await listen();
    const response = await app?.inject({
      method: 'PUT',
      url: '/uploads/a',
      headers: { expect: '100-continue' },
      payload: 'abcd',
    });
    expect(response?.json()).toEqual({ bytes: 4 });
  });
});
