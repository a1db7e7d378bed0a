// GET /metrics in Prometheus text format, from a registry of this app's own (a second app in the same process,
// as in tests, registers its metrics again without clashing). It holds the default process metrics and
// http_requests_total / http_request_duration_seconds by method, route template (`/blobs/:id`, never the raw
// path) and status code. Requests that match no route share one `route="unmatched"` label, so scanners cannot
// grow the label set without bound. Scrapes of /metrics count like any other request.
// Services add their own metrics to `app.metrics.registry`.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { Type } from 'typebox';
import { perRoute, routeFactsOf, type RouteFacts } from './request-hooks.js';
import { RequestMetrics, type RequestSeries } from './request-metrics.js';
import type { Service } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry };
  }
}

const UNMATCHED_ROUTE = 'unmatched';

export function addMetrics(app: Service): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requestMetrics = new RequestMetrics(registry);
  app.decorate('metrics', { registry });

  // The series of a route, by method and status code, made on the first request that needs each one and kept
  // with the route: a request then finds its series by two small map lookups, with no key to build.
  const seriesByRoute = Symbol('metric series');
  const noSeries = (): Map<string, Map<number, RequestSeries>> => new Map();
  const seriesOf = (facts: RouteFacts, method: string, statusCode: number): RequestSeries => {
    const byMethod = perRoute(seriesByRoute, facts, noSeries);
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      series = requestMetrics.seriesOf(method, facts.url ?? UNMATCHED_ROUTE, statusCode);
      byStatus.set(statusCode, series);
    }
    return series;
  };

  // A hook of its own, added after the docs plugin as before: the /docs pages are not counted.
  app.addHook('onResponse', (request, reply, done) => {
    seriesOf(routeFactsOf(request), request.method, reply.statusCode).observe(reply.elapsedTime / 1000);
    done();
  });

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        produces: ['text/plain'],
        // Documentation only: a text body is sent as it is, never through a serializer.
        response: { 200: Type.String({ description: 'the Prometheus text exposition format' }) },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}
