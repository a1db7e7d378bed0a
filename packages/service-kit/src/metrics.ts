// GET /metrics in Prometheus text format, from a registry of this app's own (a second app in the same process,
// as in tests, registers its metrics again without clashing). It holds the default process metrics and
// http_requests_total / http_request_duration_seconds by method, route template (`/blobs/:id`, never the raw
// path) and status code. Requests that match no route share one `route="unmatched"` label, so scanners cannot
// grow the label set without bound. Scrapes of /metrics count like any other request.
// Services add their own metrics to `app.metrics.registry`.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Type } from 'typebox';
import { perRoute, routeFactsOf, type RouteFacts } from './request-hooks.js';
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
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests in seconds, by method, route template and status code',
    labelNames,
    registers: [registry],
  });
  app.decorate('metrics', { registry });

  // The labelled children of a route, by method and status code, made on the first request that needs each
  // one: a request then counts itself without building and hashing its labels to find them.
  type Children = { count: () => void; observe: (seconds: number) => void };
  const childrenByRoute = Symbol('metric children');
  const noChildren = (): Map<string, Children> => new Map();
  const childrenOf = (facts: RouteFacts, method: string, statusCode: number): Children => {
    const byKey = perRoute(childrenByRoute, facts, noChildren);
    const key = `${method} ${statusCode}`;
    let children = byKey.get(key);
    if (children === undefined) {
      const labels = { method, route: facts.url ?? UNMATCHED_ROUTE, status_code: String(statusCode) };
      const counter = requests.labels(labels);
      const histogram = duration.labels(labels);
      children = { count: () => counter.inc(), observe: (seconds) => histogram.observe(seconds) };
      byKey.set(key, children);
    }
    return children;
  };

  // A hook of its own, added after the docs plugin as before: the /docs pages are not counted.
  app.addHook('onResponse', (request, reply, done) => {
    const children = childrenOf(routeFactsOf(request), request.method, reply.statusCode);
    children.count();
    children.observe(reply.elapsedTime / 1000);
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
