// HTTP clients that upload a large body, for tests of answers given before the body was read: curl (a child
// process; it sends `Expect: 100-continue` above 1 MiB unless told `Expect:`), undici (a stream body; it never
// sends Expect), node:http (the whole body written at once without waiting, or after `100 Continue`), and a
// client that reads only once its whole body is sent, as Python's http.client (and so `requests`) does: the one
// a reset hurts most, since it has not looked at the answer when its write fails. Each reports what its user
// would see: the status and body, or the error it got instead.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, Agent } from 'node:http';
import { connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request as undiciRequest } from 'undici';
import { expect } from 'vitest';

export type UploadClient = 'curl' | 'undici' | 'node-http' | 'send-then-read';

export interface Upload {
  client: UploadClient;
  url: string;
  /** body size in bytes */
  bytes: number;
  /** send `Expect: 100-continue` (undici cannot) */
  expect: boolean;
  method?: 'PUT' | 'POST';
  headers?: Record<string, string>;
  /** send the body chunked, without a Content-Length */
  chunked?: boolean;
}

export interface UploadResult {
  status: number;
  /** the response body as text */
  body: string;
  /** the response's Connection header */
  connection: string | undefined;
  /** what the client reported instead of (or besides) the answer: an error code or curl's message */
  error: string | undefined;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Every client for which `expect` makes sense, with and without it. */
export const UPLOAD_CLIENTS: { client: UploadClient; expect: boolean }[] = [
  { client: 'curl', expect: true },
  { client: 'curl', expect: false },
  { client: 'undici', expect: false },
  { client: 'node-http', expect: true },
  { client: 'node-http', expect: false },
  { client: 'send-then-read', expect: false },
];

export function upload(attempt: Upload): Promise<UploadResult> {
  switch (attempt.client) {
    case 'curl':
      return withCurl(attempt);
    case 'undici':
      return withUndici(attempt);
    case 'node-http':
      return withNodeHttp(attempt);
    case 'send-then-read':
      return sendThenRead(attempt);
  }
}

function bodyStream(bytes: number): Readable {
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      this.push(chunk);
    },
  });
}

function headersOf(attempt: Upload): Record<string, string> {
  return {
    'content-type': 'application/octet-stream',
    ...(attempt.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(attempt.bytes) }),
    ...attempt.headers,
  };
}

async function withCurl(attempt: Upload): Promise<UploadResult> {
  const folder = await mkdtemp(join(tmpdir(), 'upload-'));
  try {
    const file = join(folder, 'body');
    await writeFile(file, Buffer.alloc(attempt.bytes, 0x61));
    const args = ['-sS', '-i', '-X', attempt.method ?? 'PUT', '--data-binary', `@${file}`];
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      ...attempt.headers,
    };
    if (attempt.chunked) headers['transfer-encoding'] = 'chunked';
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
    // curl decides on Expect itself (above 1 MiB); an empty header turns it off, a full one forces it.
    args.push('-H', attempt.expect ? 'Expect: 100-continue' : 'Expect:');
    args.push(attempt.url);
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? -1)));
    // With -i, a 100 Continue and the final answer are both printed: the last header block is the answer.
    const text = Buffer.concat(out).toString();
    const blocks = text.split('\r\n\r\n');
    let index = 0;
    while (index < blocks.length - 1 && /^HTTP\/[\d.]+ 1\d\d/.test(blocks[index] ?? '')) index += 1;
    const head = blocks[index] ?? '';
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1] ?? 0);
    const connection = /^connection:\s*(.*)$/im.exec(head)?.[1]?.trim();
    return {
      status,
      body: blocks.slice(index + 1).join('\r\n\r\n'),
      connection,
      error: code === 0 ? undefined : `curl exit ${code}: ${err.trim()}`,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function withUndici(attempt: Upload): Promise<UploadResult> {
  try {
    const answer = await undiciRequest(attempt.url, {
      method: attempt.method ?? 'PUT',
      headers: attempt.chunked
        ? { 'content-type': 'application/octet-stream', ...attempt.headers }
        : headersOf(attempt),
      body: bodyStream(attempt.bytes),
    });
    const body = await answer.body.text();
    const connection = answer.headers.connection;
    return {
      status: answer.statusCode,
      body,
      connection: Array.isArray(connection) ? connection.join(', ') : connection,
      error: undefined,
    };
  } catch (error) {
    return { status: 0, body: '', connection: undefined, error: codeOf(error) };
  }
}

function withNodeHttp(attempt: Upload): Promise<UploadResult> {
  return new Promise((resolve) => {
    // Keep-alive, so a `Connection: close` in the answer is the server's choice.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let status = 0;
    let body = '';
    let connection: string | undefined;
    let error: string | undefined;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      agent.destroy();
      resolve({ status, body, connection, error });
    };
    const url = new URL(attempt.url);
    const sent = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method: attempt.method ?? 'PUT',
      agent,
      headers: { ...headersOf(attempt), ...(attempt.expect ? { expect: '100-continue' } : {}) },
    });
    const sendBody = (): void => {
      // All of it at once, without waiting for 'drain': what a careless client does.
      for (let left = attempt.bytes; left > 0; left -= CHUNK.length) {
        sent.write(left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left));
      }
      sent.end();
    };
    sent.on('continue', sendBody);
    sent.on('response', (response) => {
      status = response.statusCode ?? 0;
      connection = response.headers.connection;
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', settle);
      response.on('error', (failure) => {
        error ??= codeOf(failure);
        settle();
      });
    });
    sent.on('error', (failure) => {
      error ??= codeOf(failure);
      // An error after the whole answer was read is reported with it; before, it is all there is.
      if (status === 0) settle();
    });
    sent.on('close', () => {
      if (status === 0) settle();
    });
    if (attempt.expect) sent.flushHeaders();
    else sendBody();
  });
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(error);
}

/** Writes the request and its whole body (waiting for each write), and only then reads the answer. */
async function sendThenRead(attempt: Upload): Promise<UploadResult> {
  const url = new URL(attempt.url);
  const socket = connect({ host: url.hostname, port: Number(url.port), allowHalfOpen: true });
  let failure: string | undefined;
  const failed = new Promise<void>((resolve) =>
    socket.once('error', (error) => {
      failure = codeOf(error);
      resolve();
    }),
  );
  const write = (data: string | Buffer): Promise<void> =>
    Promise.race([new Promise<void>((resolve) => socket.write(data, () => resolve())), failed]);
  const headers = {
    host: url.host,
    ...headersOf(attempt),
    ...(attempt.expect ? { expect: '100-continue' } : {}),
  };
  await write(
    `${attempt.method ?? 'PUT'} ${url.pathname}${url.search} HTTP/1.1\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      '\r\n',
  );
  for (let left = attempt.bytes; left > 0 && failure === undefined; left -= CHUNK.length) {
    const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    await write(
      attempt.chunked
        ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
        : chunk,
    );
  }
  if (attempt.chunked && failure === undefined) await write('0\r\n\r\n');
  if (failure !== undefined) {
    socket.destroy();
    return { status: 0, body: '', connection: undefined, error: failure };
  }
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await Promise.race([new Promise((resolve) => socket.once('end', resolve)), failed]);
  socket.destroy();
  const text = Buffer.concat(chunks).toString();
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  return {
    status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1] ?? 0),
    body: split >= 0 ? text.slice(split + 4) : '',
    connection: /^connection:\s*(.*)$/im.exec(head)?.[1]?.trim(),
    error: failure,
  };
}

/** The upload was answered, not reset: `status`, `Connection: close`, and a problem+json whose detail matches. */
export function expectRefusal(
  result: UploadResult,
  { status, detail }: { status: number; detail: RegExp },
): void {
  expect(result.error).toBeUndefined();
  expect(result.status).toBe(status);
  expect(result.connection).toBe('close');
  const problem = JSON.parse(result.body) as { status: number; detail: string };
  expect(problem.status).toBe(status);
  expect(problem.detail).toMatch(detail);
}

/** The connections an app's server holds open now. */
export function openConnections(app: { server: Server }): Promise<number> {
  return new Promise((resolve, reject) =>
    app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}
