// GET /metrics in Prometheus text format, from a registry of this app's own (a second app in the same process,
// as in tests, registers its metrics again without clashing). It holds the default process metrics and
// http_requests_total / http_request_duration_seconds by method, route template (`/blobs/:id`, never the raw
// path) and status code. Requests that match no route share one `route="unmatched"` label, so scanners cannot
// grow the label set without bound. Scrapes of /metrics count like any other request.
// Services add their own metrics to `app.metrics.registry`.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Type } from 'typebox';
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

  app.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
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
