// What the service kit costs every service: the same two routes on an app built with createService (request
// ids, one JSON log line per request, metrics, the internal guard, problem+json errors)
// against plain Fastify with its logger off. http-baseline puts plain Fastify itself against bare `http`.
import { defineScenario } from '../lib/index.js';
import { measureHelloRoutes, startServer } from '../lib/hello-routes.js';

export default defineScenario({
  name: 'service-kit',
  description:
    'GET /hello and POST /echo (1 KiB JSON) on a createService app, logging at info, 10 connections.',
  baseline: 'the same routes on plain Fastify 5 (logger off).',
  async run(ctx) {
    const [project, baseline] = await Promise.all([
      startServer(ctx, 'kit', 'bench/fixtures/kit-hello.ts'),
      startServer(ctx, 'fastify', 'bench/fixtures/fastify-hello.ts'),
    ]);
    return measureHelloRoutes(ctx, { project, baseline });
  },
});
