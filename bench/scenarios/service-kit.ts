// What the service kit costs every service: the same two routes on an app built with createService (request
// ids, one JSON log line per request, metrics, the internal guard, problem+json errors)
// against plain Fastify with its logger off. http-baseline puts plain Fastify itself against bare `http`.
//
// The "ref." rows measure the reference the kit's speed goal names: Fastify set up for production
// with pino and prom-client (bench/fixtures/fastify-pino-hello.ts), against the same plain Fastify server, once
// with Fastify's default two log lines per request and once with one line, as the kit writes. Read next to the
// kit's rows, they say how much of the kit's cost any logged and measured Fastify app pays.
import { defineScenario } from '../lib/index.js';
import { measureHelloRoutes, startServer } from '../lib/hello-routes.js';

const FIXTURE = 'bench/fixtures/fastify-pino-hello.ts';

export default defineScenario({
  name: 'service-kit',
  description:
    'GET /hello and POST /echo (1 KiB JSON) on a createService app, logging at info, 10 connections. ' +
    '"ref." rows: the same routes on Fastify with pino at info (its default 2 lines per request, or 1 line) ' +
    'and prom-client metrics.',
  baseline: 'the same routes on plain Fastify 5 (logger off).',
  async run(ctx) {
    const [kit, fastify, twoLines, oneLine] = await Promise.all([
      startServer(ctx, 'kit', 'bench/fixtures/kit-hello.ts'),
      startServer(ctx, 'fastify', 'bench/fixtures/fastify-hello.ts'),
      startServer(ctx, 'fastify-pino-2-lines', FIXTURE, { REQUEST_LOG: 'fastify' }),
      startServer(ctx, 'fastify-pino-1-line', FIXTURE, { REQUEST_LOG: 'one-line' }),
    ]);
    return [
      ...(await measureHelloRoutes(ctx, { project: kit, baseline: fastify })),
      ...(await measureHelloRoutes(ctx, { project: twoLines, baseline: fastify }, 'ref. 2 lines')),
      ...(await measureHelloRoutes(ctx, { project: oneLine, baseline: fastify }, 'ref. 1 line')),
    ];
  },
});
