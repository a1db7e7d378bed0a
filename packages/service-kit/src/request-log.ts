// One log line per request, once its response has gone out: method, where it went, status code and time, with
// the request id that every line of the request carries. Fastify's default is two lines (on arrival and on
// completion), which doubles what logging costs on every request for little more information: a request that
// never completes still shows up in the error and shutdown logs.
//
// Where the request went is the route template and its parameter values (`route: "/users/:email"`, `params:
// {"email": "j***@example.com"}`) and the query string, never the raw URL: a parameter or query value that holds
// an email address, in any URL encoding, is logged decoded and masked (@backend-rebase/logger's maskUrlComponent).
// A request that matched no route logs its URL, each part masked the same way. A URL without an at-sign in any
// encoding, nearly every one, costs one scan for it and no other work.
//
// Successful probes (/health, /ready, /metrics) are logged at debug: a load balancer's health checks and a
// Prometheus scrape would otherwise fill the log with a line every few seconds that says nothing. A failing
// probe (a 503 from /ready) is logged like any other request. A route that takes high-volume traffic whose
// successes say nothing one by one (page-view beacons, thousands a second) declares `config: { quietSuccess:
// true }` for the same treatment: a line each would become the service's main work, and the metrics count them.
//
// Routes log through `request.logger`: the service's logger (winston's call shape, `request.logger.info('message',
// { fields })`) with the request id on every line. Fastify's own `request.log` is its pino-shaped view of the same
// logger, for Fastify's lines only; the lint keeps project code off it, so one call shape is all a reader meets.
import { maskQuery, maskUrl, maskUrlComponent, mayHoldEmail } from '@backend-rebase/logger';
import type { FastifyRequest } from 'fastify';
import { perRoute, routeFactsOf, type RequestHooks, type RouteFacts } from './request-hooks.js';
import type { Service } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** log this route's successful requests at debug, like the health probes */
    quietSuccess?: boolean;
  }
}

const PROBES = new Set(['/health', '/ready', '/metrics']);

const QUIET = Symbol('successes logged at debug');

const isQuietRoute = (facts: RouteFacts): boolean =>
  facts.config.quietSuccess === true || PROBES.has(facts.url ?? '');

export function logEachRequest(app: Service, hooks: RequestHooks): void {
  // A getter, so a request that logs nothing costs nothing: each use makes a small child logger.
  app.decorateRequest('logger', {
    getter(this: FastifyRequest) {
      return app.logger.child({ requestId: this.id });
    },
  });
  hooks.onResponse((request, reply) => {
    const facts = routeFactsOf(request);
    const route = facts.url;
    const quiet = reply.statusCode < 400 && perRoute(QUIET, facts, isQuietRoute);
    if (app.logger.isLevelEnabled(quiet ? 'debug' : 'info')) {
      // Straight to the service's logger with the id as a field: one line per request need not make a child.
      const line = whereItWent(request, route);
      line.requestId = request.id;
      line.statusCode = reply.statusCode;
      line.responseTimeMs = Math.round(reply.elapsedTime * 100) / 100;
      if (quiet) app.logger.debug('request completed', line);
      else app.logger.info('request completed', line);
    }
  });
}

function whereItWent(request: FastifyRequest, route: string | undefined): Record<string, unknown> {
  const { url } = request;
  const masking = mayHoldEmail(url);
  if (route === undefined) return { method: request.method, url: masking ? maskUrl(url) : url };

  const line: Record<string, unknown> = { method: request.method, route };
  const params = request.params as Record<string, unknown>;
  if (route.includes(':') || route.includes('*')) line.params = masking ? maskParams(params) : params;
  const question = url.indexOf('?');
  if (question !== -1) {
    const query = url.slice(question + 1);
    line.query = masking ? maskQuery(query) : query;
  }
  return line;
}

function maskParams(params: Record<string, unknown>): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    masked[name] = typeof value === 'string' ? maskUrlComponent(value) : value;
  }
  return masked;
}
