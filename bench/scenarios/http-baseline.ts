// What a web framework costs: a Fastify route against the same route written on Node's bare `http` module.
// Later scenarios (service-kit overhead, the load balancer's proxying) are read against this one.
//
// Both servers run as child processes (bench/fixtures/), one at a time under load, so on a small machine the
// server gets one core and autocannon the other (see lib/hello-routes.ts for how they are loaded).
import { defineScenario } from '../lib/index.js';
import { measureHelloRoutes, startServer } from '../lib/hello-routes.js';

export default defineScenario({
  name: 'http-baseline',
  description: 'Fastify 5 routes (GET /hello, POST /echo of 1 KiB JSON), 10 connections.',
  baseline: "the same routes on Node's bare `http` server.",
  async run(ctx) {
    const [project, baseline] = await Promise.all([
      startServer(ctx, 'fastify', 'bench/fixtures/fastify-hello.ts'),
      startServer(ctx, 'bare-http', 'bench/fixtures/bare-http.ts'),
    ]);
    return measureHelloRoutes(ctx, { project, baseline });
  },
});
