// An upload whose client sent `Expect: 100-continue`, sent upstream with the same header through node:http
// (undici's HTTP/1.1 client refuses `Expect`, and sends a streamed request's headers only with its first body
// byte). Guarantees:
// - No byte of the body goes upstream before upstream answered `100 Continue`: `ready` says whether it did, or
//   answered at once (a refusal such as 409, 413, 507, read whole here: early-answer.ts), or gave no answer.
// - After `ready` said continue, the caller writes the body to `sink` (and ends it) or calls abort(); `done`
//   settles with the final answer, whose body stream is the caller's to relay or drain. A final answer that comes
//   while the body is still being written (a refusal part-way) is read whole too, and the request is destroyed,
//   so no more of the body goes upstream.
// - Neither promise rejects. A failure says why (`cause`) with the error, whose code upstream-errors.ts
//   classifies: `aborted` (abort() or the signal), `stale-connection` (a kept-alive connection upstream closed
//   just as it was reused: worth one more try on a new one), `answer-unreadable`, `no-answer` or `error`.
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { Readable, type Writable } from 'node:stream';
import type { ClientGoneSignal } from './client-gone.js';
import { MAX_EARLY_ANSWER_BYTES, readEarlyAnswer } from './early-answer.js';
import type { HeaderMap } from './headers.js';
import type { UpstreamResponse } from './upstream-request.js';

export interface ContinueUploadOptions {
  host: string;
  port: number | string;
  method: string;
  /** path and query */
  path: string;
  headers: HeaderMap;
  agent: Agent;
  /** aborted when the client goes away */
  signal: ClientGoneSignal;
  /** UPSTREAM_TIMEOUT_MS: the longest silence on the connection */
  timeoutMs: number;
  /** the longest wait for a new connection; without it only timeoutMs bounds it */
  connectTimeoutMs?: number;
  /** called as soon as upstream's answer arrives, before its body is read (metrics, health) */
  onResponse?: (response: IncomingMessage) => void;
}

export interface ContinueFailure {
  kind: 'failed';
  cause: 'aborted' | 'stale-connection' | 'answer-unreadable' | 'no-answer' | 'error';
  error: Error;
}

export type ContinueReadiness =
  { kind: 'continue' } | { kind: 'answered'; response: UpstreamResponse } | ContinueFailure;

export type ContinueCompletion = { kind: 'answered'; response: UpstreamResponse } | ContinueFailure;

export class ContinueUpload {
  readonly ready: Promise<ContinueReadiness>;
  readonly done: Promise<ContinueCompletion>;
  private readonly request: ClientRequest;
  private abortedByCaller = false;

  constructor(options: ContinueUploadOptions) {
    let settleReady!: (readiness: ContinueReadiness) => void;
    let settleDone!: (completion: ContinueCompletion) => void;
    this.ready = new Promise((resolve) => (settleReady = resolve));
    this.done = new Promise((resolve) => (settleDone = resolve));
    const fail = (cause: ContinueFailure['cause'], error: Error): void => {
      const failure: ContinueFailure = { kind: 'failed', cause, error };
      settleReady(failure);
      settleDone(failure);
    };
    let continued = false;
    let answered = false;

    const sent = httpRequest({
      host: options.host,
      port: options.port,
      method: options.method,
      path: options.path,
      headers: { ...options.headers, expect: '100-continue' },
      agent: options.agent,
      timeout: options.timeoutMs,
      // node:http reads `aborted` and add/removeEventListener of it, all a ClientGoneSignal has.
      signal: options.signal as AbortSignal,
    });
    this.request = sent;

    const { connectTimeoutMs } = options;
    if (connectTimeoutMs !== undefined) {
      sent.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => {
          sent.destroy(codedError('UND_ERR_CONNECT_TIMEOUT', `no connection within ${connectTimeoutMs} ms`));
        }, connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
    }
    sent.on('timeout', () => {
      sent.destroy(codedError('ETIMEDOUT', `no answer within UPSTREAM_TIMEOUT_MS (${options.timeoutMs} ms)`));
    });
    sent.on('continue', () => {
      continued = true;
      settleReady({ kind: 'continue' });
    });
    sent.on('response', (response: IncomingMessage) => {
      answered = true;
      options.onResponse?.(response);
      const answer = (body: Readable) => ({
        kind: 'answered' as const,
        response: { statusCode: response.statusCode ?? 502, headers: response.headers, body },
      });
      if (continued && sent.writableEnded) {
        settleDone(answer(response));
        return;
      }
      // Before the body, or part-way through it: upstream will not use the rest, so none is sent.
      void readEarlyAnswer(response).then((bytes) => {
        sent.destroy();
        if (bytes === undefined) {
          fail(
            'answer-unreadable',
            new Error(
              `answered ${response.statusCode} before the whole upload, in more than ${MAX_EARLY_ANSWER_BYTES} bytes or not whole`,
            ),
          );
          return;
        }
        const early = answer(Readable.from([bytes]));
        settleReady(early);
        settleDone(early);
      });
    });
    sent.on('error', (error) => {
      if (answered) return; // the answer's own stream reports what happens to it
      if (this.abortedByCaller || options.signal.aborted) {
        fail('aborted', error);
        return;
      }
      if (sent.reusedSocket && !continued && (error as { code?: unknown }).code === 'ECONNRESET') {
        fail('stale-connection', error);
        return;
      }
      fail('error', error);
    });
    // Destroyed without an error (an abort): nothing else would settle the promises.
    sent.on('close', () => {
      if (!answered) {
        fail(
          this.abortedByCaller || options.signal.aborted ? 'aborted' : 'no-answer',
          new Error('closed without an answer'),
        );
      }
    });
  }

  /** Where the body goes once `ready` said continue. */
  get sink(): Writable {
    return this.request;
  }

  /** Whether abort() was called. */
  get aborted(): boolean {
    return this.abortedByCaller;
  }

  /** Gives up before or during the body; `ready` and `done` settle as failed. */
  abort(): void {
    this.abortedByCaller = true;
    this.request.destroy();
  }
}

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
