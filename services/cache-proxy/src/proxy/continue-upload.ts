// An upload whose client sent `Expect: 100-continue`, sent upstream with the same header through node:http
// (undici's HTTP/1.1 client refuses `Expect`, and sends a streamed request's headers only with its first body
// byte). Guarantees:
// - The client gets `100 Continue` (onContinue) only after upstream sent its own: an upload that upstream refuses
//   from its headers (413, 507, 400, …) is answered without the client sending a byte of it.
// - An answer before the 100 is a small problem+json: it is read whole here (at most MAX_EARLY_ANSWER_BYTES) and
//   handed back like any answer; the upstream request is then closed, so nothing more goes to it.
// - After the 100 the body is piped upstream, and the answer's body is handed back as a stream.
// - It never rejects: a failure is an Error for Upstream.failure to turn into 502 or 504.
import {
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Readable } from 'node:stream';
import { MAX_EARLY_ANSWER_BYTES, readEarlyAnswer } from './upload.js';

export interface ContinueUploadRequest {
  origin: URL;
  agent: Agent;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  signal: AbortSignal;
  timeoutMs: number;
  onContinue: () => void;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export function sendWithContinue(
  request: ContinueUploadRequest,
): Promise<{ response: UpstreamResponse } | { error: Error }> {
  return new Promise((resolve) => {
    let continued = false;
    const sent = httpRequest({
      host: request.origin.hostname,
      port: request.origin.port,
      method: request.method,
      path: request.path,
      headers: { ...request.headers, expect: '100-continue' },
      agent: request.agent,
      timeout: request.timeoutMs,
      signal: request.signal,
    });
    sent.on('timeout', () => {
      sent.destroy(
        Object.assign(new Error(`no answer within UPSTREAM_TIMEOUT_MS (${request.timeoutMs} ms)`), {
          code: 'UND_ERR_HEADERS_TIMEOUT',
        }),
      );
    });
    sent.on('continue', () => {
      continued = true;
      request.onContinue();
      request.body.pipe(sent);
    });
    sent.on('response', (response: IncomingMessage) => {
      const answer = (body: Readable) =>
        resolve({ response: { statusCode: response.statusCode ?? 502, headers: response.headers, body } });
      if (continued) {
        answer(response);
        return;
      }
      void readEarlyAnswer(response).then((bytes) => {
        sent.destroy();
        if (bytes === undefined) {
          resolve({
            error: new Error(
              `upstream answered ${response.statusCode} before the upload, in more than ${MAX_EARLY_ANSWER_BYTES} bytes or not whole`,
            ),
          });
          return;
        }
        answer(Readable.from([bytes]));
      });
    });
    sent.on('error', (error) => resolve({ error }));
    sent.on('close', () => resolve({ error: new Error('upstream closed the connection without an answer') }));
  });
}
