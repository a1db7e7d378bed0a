// The `Expect: 100-continue` upload against a real upstream: no byte before its 100, a refusal before (or during)
// the body read whole and relayable, and every failure settled with a cause instead of a rejection.
import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ContinueUpload,
  failureKind,
  MAX_EARLY_ANSWER_BYTES,
  type ContinueUploadOptions,
} from '../src/index.js';
import {
  answerText,
  closedPort,
  silent,
  startUpstream,
  textOf,
  type TestUpstream,
} from './support/upstream.js';

let upstream: TestUpstream | undefined;
let agent: Agent;
beforeEach(() => {
  agent = new Agent({ keepAlive: true });
});
afterEach(async () => {
  agent.destroy();
  await upstream?.close();
  upstream = undefined;
});

function uploadTo(port: number, options: Partial<ContinueUploadOptions> = {}): ContinueUpload {
  return new ContinueUpload({
    host: '127.0.0.1',
    port,
    method: 'PUT',
    path: '/blobs/a?x=1',
    headers: { 'content-length': '5', 'x-request-id': 'r' },
    agent,
    signal: new AbortController().signal,
    timeoutMs: 5_000,
    ...options,
  });
}

describe('ContinueUpload', () => {
  it("sends the body only after upstream's 100, and hands back the final answer as a stream", async () => {
    upstream = await startUpstream(answerText(201, 'stored'));
    const upload = uploadTo(upstream.port);
    expect(await upload.ready).toEqual({ kind: 'continue' });
    expect(upstream.seen[0]?.headers.expect).toBe('100-continue');
    expect(upstream.seen[0]?.url).toBe('/blobs/a?x=1');
    expect(upstream.seen[0]?.body.length).toBe(0);
    Readable.from([Buffer.from('hello')]).pipe(upload.sink);
    const done = await upload.done;
    if (done.kind !== 'answered') throw new Error(`expected an answer, got ${done.cause}`);
    expect(done.response.statusCode).toBe(201);
    expect(await textOf(done.response.body)).toBe('stored');
    expect(upstream.seen[0]?.body.toString()).toBe('hello');
  });

  it('relays a refusal sent instead of the 100, read whole, and sends no byte of the body', async () => {
    upstream = await startUpstream();
    upstream.onContinue = (_request, response) => {
      response.writeHead(413, { 'content-type': 'application/problem+json', connection: 'close' });
      response.end('{"status":413}');
    };
    const upload = uploadTo(upstream.port);
    const ready = await upload.ready;
    if (ready.kind !== 'answered') throw new Error(`expected an early answer, got ${ready.kind}`);
    expect(ready.response.statusCode).toBe(413);
    expect(ready.response.headers['content-type']).toBe('application/problem+json');
    expect(await textOf(ready.response.body)).toBe('{"status":413}');
    expect((await upload.done).kind).toBe('answered');
    expect(upstream.seen[0]?.body.length).toBe(0);
  });

  it('reads a refusal part-way through the body whole, and stops the upload', async () => {
    upstream = await startUpstream((request, response) => {
      request.once('data', () => {
        response.writeHead(507, { connection: 'close' });
        response.end('full');
      });
    });
    const upload = uploadTo(upstream.port, { headers: { 'content-length': String(1024 * 1024) } });
    expect((await upload.ready).kind).toBe('continue');
    upload.sink.on('error', () => undefined);
    upload.sink.write(Buffer.alloc(1024));
    const done = await upload.done;
    if (done.kind !== 'answered') throw new Error(`expected an answer, got ${done.cause}`);
    expect(done.response.statusCode).toBe(507);
    expect(await textOf(done.response.body)).toBe('full');
    expect(upload.sink.destroyed).toBe(true);
  });

  it('gives up on an early answer larger than MAX_EARLY_ANSWER_BYTES', async () => {
    upstream = await startUpstream();
    upstream.onContinue = (_request, response) => {
      response.writeHead(400);
      response.end(Buffer.alloc(MAX_EARLY_ANSWER_BYTES + 1));
    };
    const ready = await uploadTo(upstream.port).ready;
    expect(ready).toMatchObject({ kind: 'failed', cause: 'answer-unreadable' });
  });

  it('fails with the connection error when upstream cannot be reached', async () => {
    const upload = uploadTo(await closedPort());
    const ready = await upload.ready;
    if (ready.kind !== 'failed') throw new Error(`expected a failure, got ${ready.kind}`);
    expect(ready.cause).toBe('error');
    expect(ready.error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(failureKind(ready.error)).toBe('unreachable');
    expect((await upload.done).kind).toBe('failed');
  });

  it('fails as a timeout when upstream stays silent longer than timeoutMs', async () => {
    upstream = await startUpstream();
    upstream.onContinue = silent;
    const ready = await uploadTo(upstream.port, { timeoutMs: 100 }).ready;
    if (ready.kind !== 'failed') throw new Error(`expected a failure, got ${ready.kind}`);
    expect(ready.cause).toBe('error');
    expect(failureKind(ready.error)).toBe('timeout');
  });

  it('settles as aborted when the caller aborts or the signal does', async () => {
    upstream = await startUpstream();
    upstream.onContinue = silent;
    const byCaller = uploadTo(upstream.port);
    setTimeout(() => byCaller.abort(), 20);
    expect(await byCaller.ready).toMatchObject({ kind: 'failed', cause: 'aborted' });
    expect(await byCaller.done).toMatchObject({ kind: 'failed', cause: 'aborted' });
    expect(byCaller.aborted).toBe(true);

    const controller = new AbortController();
    const bySignal = uploadTo(upstream.port, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await bySignal.ready).toMatchObject({ kind: 'failed', cause: 'aborted' });
  });

  it('calls onResponse as the answer arrives', async () => {
    upstream = await startUpstream(answerText(200, 'ok'));
    const statuses: number[] = [];
    const upload = uploadTo(upstream.port, {
      onResponse: (response) => statuses.push(response.statusCode ?? 0),
    });
    expect((await upload.ready).kind).toBe('continue');
    upload.sink.end('hello');
    await upload.done;
    expect(statuses).toEqual([200]);
  });
});
