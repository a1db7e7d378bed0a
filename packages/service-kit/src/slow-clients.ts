// Bounds on what one client can hold: a client that trickles its headers (slowloris), stops sending a body, stops
// reading a response, or opens a connection and sends nothing keeps a socket — and with it an open file, an
// upstream connection, buffered bytes — only for a bounded time. Guarantees, per connection:
//   - idle: no byte moves either way for HTTP_IDLE_TIMEOUT → the socket is destroyed. This covers a connection
//     that never sends a request, a body that stops half-way, and a response write that makes no progress because
//     the client stopped reading (the kernel buffers fill, nothing more leaves). Destroying the socket destroys the
//     response's source stream (Fastify's sendStream), so a file is closed and an upstream request aborted.
//   - headers: a request's headers must be complete HTTP_HEADERS_TIMEOUT after its first byte, however slowly they
//     trickle → 408 problem+json, connection closed (clientErrors). The whole request, body included, must arrive
//     within HTTP_REQUEST_TIMEOUT → the same 408. Node checks both every `checkIntervalMs` (a quarter of the
//     headers bound, at most 5 s), so either is hit within its bound plus that interval.
//   - keep-alive: an idle kept-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT.
//   - lingering close (lingering-close.ts): after an answer given before the body was read, at most
//     HTTP_LINGER_MAX_BYTES of the body are read and dropped, for at most HTTP_LINGER_TIME in all and
//     HTTP_LINGER_TIMEOUT without a byte (nginx's lingering_time and lingering_timeout).
//   - headers are at most HTTP_MAX_HEADER_SIZE bytes in all (→ 431, from Node's parser) and at most
//     HTTP_MAX_HEADER_COUNT fields (→ 431 problem+json naming the limit). Node itself would silently drop the
//     fields past its maxHeadersCount instead of refusing them.
// The settings are read from the environment by every service built on the kit, like the logger's, and
// validated by loadConfig with the service's own (slowClientSettingsProblems).
import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import { Type, type StaticDecode } from 'typebox';
import { Env } from './env-fields.js';
import type { LingerBounds } from './lingering-close.js';
import { HttpProblem } from './problem.js';
import { ConfigError, readSettings, type EnvVars } from './settings.js';
import type { RequestHooks } from './request-hooks.js';
import type { Service } from './service.js';

export interface SlowClientBounds {
  /** no byte either way for this long closes the connection */
  idleTimeoutMs: number;
  /** the request's headers must be complete this long after its first byte */
  headersTimeoutMs: number;
  /** the whole request, body included, must arrive within this time */
  requestTimeoutMs: number;
  /** an idle kept-alive connection is closed after this long */
  keepAliveTimeoutMs: number;
  /** the request line and headers, in bytes */
  maxHeaderBytes: number;
  /** header fields per request */
  maxHeaderCount: number;
  /** what the lingering close after an early answer may cost */
  linger: LingerBounds;
}

const SlowClientSettings = Type.Object({
  HTTP_IDLE_TIMEOUT: Env.duration('60s'),
  HTTP_HEADERS_TIMEOUT: Env.duration('20s'),
  HTTP_REQUEST_TIMEOUT: Env.duration('60s'),
  HTTP_KEEP_ALIVE_TIMEOUT: Env.duration('72s'),
  HTTP_MAX_HEADER_SIZE: Env.bytes('16KiB'),
  HTTP_MAX_HEADER_COUNT: Env.integer(100, { minimum: 1, maximum: 10_000 }),
  HTTP_LINGER_MAX_BYTES: Env.bytes('16MiB'),
  HTTP_LINGER_TIME: Env.duration('30s'),
  HTTP_LINGER_TIMEOUT: Env.duration('5s'),
});

type Settings = StaticDecode<typeof SlowClientSettings>;

/**
 * The defaults an nginx or Apache operator knows: idle 60 s (nginx's client_body_timeout and send_timeout),
 * headers 20 s (Apache's mod_reqtimeout), keep-alive 72 s (Fastify's; nginx has 75 s), 16 KiB of headers
 * (Node's; nginx allows 8 KiB a line), 100 fields (Apache's LimitRequestFields).
 */
export const DEFAULT_SLOW_CLIENT_BOUNDS: SlowClientBounds = slowClientBoundsFromEnv({});

/** What is wrong with the HTTP_* settings in `env`, one line per variable, in loadConfig's words. */
export function slowClientSettingsProblems(env: EnvVars): string[] {
  return readSettings(SlowClientSettings, env).problems;
}

/** The bounds the environment sets (unset variables take the defaults); throws naming each bad variable. */
export function slowClientBoundsFromEnv(env: EnvVars = process.env): SlowClientBounds {
  const { settings, problems } = readSettings(SlowClientSettings, env);
  if (settings === undefined) throw new ConfigError(problems);
  return boundsOf(settings);
}

/** How often Node looks for requests past their headers or request bound. */
function checkIntervalMs(bounds: SlowClientBounds): number {
  return Math.max(50, Math.min(5_000, Math.floor(bounds.headersTimeoutMs / 4)));
}

/** Fastify's options for the bounds (its own names, and the node:http server's). */
export function serverOptionsFor(bounds: SlowClientBounds): FastifyHttpOptions<Server> {
  // Node refuses a headers bound above the request bound.
  const headersTimeout = Math.min(bounds.headersTimeoutMs, bounds.requestTimeoutMs);
  return {
    connectionTimeout: bounds.idleTimeoutMs,
    keepAliveTimeout: bounds.keepAliveTimeoutMs,
    requestTimeout: bounds.requestTimeoutMs,
    http: {
      headersTimeout,
      requestTimeout: bounds.requestTimeoutMs,
      keepAliveTimeout: bounds.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkIntervalMs(bounds),
      maxHeaderSize: bounds.maxHeaderBytes,
    },
  };
}

/**
 * A client cut off mid-body (by these bounds, or by going away) makes Node destroy the request stream with an
 * `aborted` error, which it emits only when the stream has 'error' listeners at that moment. A consumer that
 * listened and then let go (a fan-out that settled as soon as its upstream requests were aborted) leaves the
 * error with nobody to hear it, and an unheard 'error' ends the process. Every request stream keeps one listener
 * of its own, so an aborted body is always an event, never a crash; whoever reads the body still sees the error.
 */
export function survivesAbortedBodies(hooks: RequestHooks): void {
  hooks.onRequest((request) => {
    request.raw.on('error', ignore);
    return undefined;
  });
}

function ignore(): void {}

/** The header-count bound: Node keeps one field past it, so a request over it can be told from one at it. */
export function refuseTooManyHeaders(app: Service, hooks: RequestHooks, maxHeaderCount: number): void {
  app.server.maxHeadersCount = maxHeaderCount + 1;
  hooks.onRequest((request) =>
    request.raw.rawHeaders.length / 2 > maxHeaderCount
      ? new HttpProblem(431, `the request has more than ${maxHeaderCount} header fields (the limit)`)
      : undefined,
  );
}

function boundsOf(settings: Settings): SlowClientBounds {
  return {
    idleTimeoutMs: settings.HTTP_IDLE_TIMEOUT,
    headersTimeoutMs: settings.HTTP_HEADERS_TIMEOUT,
    requestTimeoutMs: settings.HTTP_REQUEST_TIMEOUT,
    keepAliveTimeoutMs: settings.HTTP_KEEP_ALIVE_TIMEOUT,
    maxHeaderBytes: settings.HTTP_MAX_HEADER_SIZE,
    maxHeaderCount: settings.HTTP_MAX_HEADER_COUNT,
    linger: {
      maxBytes: settings.HTTP_LINGER_MAX_BYTES,
      timeMs: settings.HTTP_LINGER_TIME,
      idleMs: settings.HTTP_LINGER_TIMEOUT,
    },
  };
}
