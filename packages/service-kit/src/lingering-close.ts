// Lingering close (nginx's lingering_close): an answer given while the request's body is still on its way (a
// refusal decided from the headers, or an error half-way) closes the connection, but not at once. Closing a
// socket with unread bytes makes the kernel send a reset: what of the answer has not left yet is thrown away,
// and a client still uploading gets ECONNRESET or EPIPE on its next write — a client that reads only once its
// body is sent (Python's http.client, and so `requests`) then never sees the answer at all. So, for such an
// answer:
//   - it carries `Connection: close`, and is written whole;
//   - then this side of the connection is shut (FIN after the answer), and the rest of the body is read and
//     thrown away, so the client can finish its write and read the answer;
//   - the socket is destroyed once the body has ended or the client has closed, or when a bound is hit: more
//     than `maxBytes` discarded, `timeMs` since the answer, `idleMs` without a byte, or the service closing.
//     Nothing is kept: a lingering socket holds no memory beyond the socket's own buffers.
// A client that sent `Expect: 100-continue` and got the refusal instead of a 100 normally sends nothing more;
// the same rules then just wait for it to close (or for `idleMs`). A 431 that Node's parser gives for headers
// too large is written straight to the socket (errors.ts): endWithLingeringClose does the same for it.
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify';
import type { RequestHooks } from './request-hooks.js';
import { DEFAULT_SLOW_CLIENT_BOUNDS } from './slow-clients.js';

export interface LingerBounds {
  /** most bytes of the unread body read and discarded after the answer; default 16 MiB */
  maxBytes: number;
  /** longest time from the answer to the close (nginx's lingering_time); default 30 s */
  timeMs: number;
  /** longest wait for the next bytes of the body (nginx's lingering_timeout); default 5 s */
  idleMs: number;
}

/** HTTP_LINGER_MAX_BYTES, HTTP_LINGER_TIME and HTTP_LINGER_TIMEOUT's defaults (slow-clients.ts). */
const LINGER_DEFAULTS: Readonly<LingerBounds> = Object.freeze({
  ...DEFAULT_SLOW_CLIENT_BOUNDS.linger,
});

/** How a lingering close ended, for tests and logs. */
export type LingerEnd = 'body-ended' | 'client-closed' | 'max-bytes' | 'time' | 'idle' | 'shutdown';

type OnLingerEnd = (end: LingerEnd, discarded: number) => void;

/** The bounds of each armed request (a scope's hook runs after its parent's, so the innermost wins). */
const armed = new WeakMap<IncomingMessage, { bounds: LingerBounds; onEnd: OnLingerEnd | undefined }>();

/**
 * In this scope (and those below it), every answer sent while the request's body is unread or half-read is
 * followed by a lingering close. The kit calls it on every service with the HTTP_LINGER_* settings; a route scope may call
 * it again with its own bounds. `onEnd` (optional) hears how each lingering close ended. When the service
 * closes, connections still lingering are closed at once (their answers are out), so a client trickling an
 * unwanted body cannot hold a shutdown past its own time limit.
 */
export function lingerOnEarlyAnswers(
  scope: Pick<FastifyInstance, 'addHook'>,
  bounds: Partial<LingerBounds> = {},
  onEnd?: OnLingerEnd,
): void {
  const linger = earlyAnswerLinger(bounds, onEnd);
  scope.addHook('onSend', (request, reply, payload, next) => {
    linger.onSend(request, reply);
    next(null, payload);
  });
  scope.addHook('preClose', (done) => {
    linger.stopAll();
    done();
  });
}

/** The same for the kit's own use, its onSend part run with the kit's other request hooks (request-hooks.ts). */
export function lingerOnEarlyAnswersWith(
  scope: Pick<FastifyInstance, 'addHook'>,
  hooks: RequestHooks,
  bounds: Partial<LingerBounds> = {},
): void {
  const linger = earlyAnswerLinger(bounds);
  hooks.onSend(linger.onSend);
  scope.addHook('preClose', (done) => {
    linger.stopAll();
    done();
  });
}

function earlyAnswerLinger(bounds: Partial<LingerBounds>, onEnd?: OnLingerEnd) {
  const resolved: LingerBounds = { ...LINGER_DEFAULTS, ...bounds };
  const lingering = new Set<() => void>();
  return {
    onSend: (request: FastifyRequest, reply: FastifyReply): void => {
      if (hasUnreadBody(request.raw)) {
        reply.header('connection', 'close');
        armLinger(request.raw, resolved, onEnd, lingering);
      }
    },
    stopAll: (): void => {
      for (const stop of [...lingering]) stop();
    },
  };
}

/**
 * The request announced a body (a length or chunked) that has not all arrived yet, on a real connection
 * (inject()'s stand-in requests are never complete, and have no connection to linger on).
 */
function hasUnreadBody(request: IncomingMessage): boolean {
  if (request.complete || !((request.socket as unknown) instanceof Socket)) return false;
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Makes the close of this request's connection a lingering one. The response must carry `Connection: close`
 * (Node then ends the connection with socket.destroySoon() once the response is written, which this replaces).
 * `active`, when given, holds a function that ends this lingering close at once for as long as it runs.
 */
function armLinger(
  request: IncomingMessage,
  bounds: LingerBounds,
  onEnd?: OnLingerEnd,
  active?: Set<() => void>,
): void {
  const already = armed.has(request);
  armed.set(request, { bounds, onEnd });
  if (already) return;
  const current = () => armed.get(request) ?? { bounds, onEnd };
  // A real connection only: inject()'s stand-in socket has nothing to linger on.
  const socket: unknown = request.socket;
  if (!(socket instanceof Socket) || socket.destroyed) return;

  let discarded = 0;
  let ended: LingerEnd | undefined;
  let lingering = false;
  let overall: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  const finish = (end: LingerEnd): void => {
    if (ended !== undefined) return;
    ended = end;
    active?.delete(stopForShutdown);
    clearTimeout(overall);
    clearTimeout(idle);
    request.removeListener('data', discard);
    current().onEnd?.(end, discarded);
    // Only now: before the answer is out (a bound hit early), closing would lose it. After it, a destroy with
    // nothing unread is a plain FIN, and with bytes unread it is the bounded reset this module exists to delay.
    if (!socket.destroyed) socket.destroy();
  };
  const discard = (chunk: Buffer): void => {
    discarded += chunk.length;
    idle?.refresh();
    if (discarded > current().bounds.maxBytes) finish('max-bytes');
  };

  const stopForShutdown = (): void => finish('shutdown');
  active?.add(stopForShutdown);

  // Read from now on, whoever read before (nobody, or a handler that gave up): Node would otherwise dump the
  // body itself, which cannot be counted. The bytes are dropped as they come; nothing is buffered.
  request.on('data', discard);
  request.resume();
  socket.once('close', () => finish('client-closed'));

  // Node calls destroySoon() when a `Connection: close` response has been written: shut this side instead
  // and keep reading until the body ends or a bound is hit.
  socket.destroySoon = function lingeringClose(this: Socket): void {
    if (lingering || ended !== undefined) return;
    lingering = true;
    const { timeMs, idleMs } = current().bounds;
    if (request.complete) {
      finishAfterWrite(socket, () => finish('body-ended'));
      return;
    }
    request.once('end', () => finishAfterWrite(socket, () => finish('body-ended')));
    overall = setTimeout(() => finish('time'), timeMs).unref();
    idle = setTimeout(() => finish('idle'), idleMs).unref();
    socket.end();
  };
}

/** Ends this side and destroys the socket once what was written has gone out. */
function finishAfterWrite(socket: Socket, then: () => void): void {
  if (socket.writableFinished || socket.destroyed) {
    then();
    return;
  }
  socket.end(then);
}

/** Sockets closing with endWithLingeringClose, with what they had read when the answer went out. */
const lingeringSockets = new WeakMap<
  Socket,
  { startBytes: number; idle: NodeJS.Timeout; maxBytes: number }
>();

/**
 * For an answer written straight to the socket because Node's parser refused the request (headers over
 * HTTP_MAX_HEADER_SIZE: a 431 with the body still coming): writes it, shuts this side, and lets the rest
 * arrive within the same bounds before the socket is destroyed. The parser refuses every later chunk again;
 * the caller hands those to lingeringClientError, which keeps them from closing the socket early.
 */
export function endWithLingeringClose(
  socket: Socket,
  answer: string,
  bounds: Partial<LingerBounds> = {},
): void {
  const { maxBytes, timeMs, idleMs } = { ...LINGER_DEFAULTS, ...bounds };
  const stop = (): void => {
    clearTimeout(overall);
    clearTimeout(idle);
    if (!socket.destroyed) socket.destroy();
  };
  const overall = setTimeout(stop, timeMs).unref();
  const idle = setTimeout(stop, idleMs).unref();
  lingeringSockets.set(socket, { startBytes: socket.bytesRead, idle, maxBytes });
  socket.once('close', stop);
  socket.end(answer);
}

/**
 * True when `socket` is closing with endWithLingeringClose: the parser's error is about the rest of the body
 * arriving, which is dropped (the socket is destroyed only once it is over maxBytes).
 */
export function lingeringClientError(socket: Socket): boolean {
  const lingering = lingeringSockets.get(socket);
  if (lingering === undefined) return false;
  lingering.idle.refresh();
  if (socket.bytesRead - lingering.startBytes > lingering.maxBytes) socket.destroy();
  return true;
}
