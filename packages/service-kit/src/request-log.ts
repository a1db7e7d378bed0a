// One log line per request, once its response has gone out: method, URL, status code and time, with the
// request id that every line of the request carries. Fastify's default is two lines (on arrival and on
// completion), which doubles what logging costs on every request for little more information: a request that
// never completes still shows up in the error and shutdown logs.
//
// Successful probes (/health, /ready, /metrics) are logged at debug: a load balancer's health checks and a
// Prometheus scrape would otherwise fill the log with a line every few seconds that says nothing. A failing
// probe (a 503 from /ready) is logged like any other request. A route that takes high-volume traffic whose
// successes say nothing one by one (page-view beacons, thousands a second) declares `config: { quietSuccess:
// true }` for the same treatment: a line each would become the service's main work, and the metrics count them.
import type { Service } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** log this route's successful requests at debug, like the health probes */
    quietSuccess?: boolean;
  }
}

const PROBES = new Set(['/health', '/ready', '/metrics']);

export function logEachRequest(app: Service): void {
  app.addHook('onResponse', (request, reply, done) => {
    const quiet =
      reply.statusCode < 400 &&
      (request.routeOptions.config.quietSuccess === true || PROBES.has(request.routeOptions.url ?? ''));
    (quiet ? request.log.debug : request.log.info).call(
      request.log,
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
    done();
  });
}
