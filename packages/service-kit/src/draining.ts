// Shutdown starts with app.close(): the listener stops accepting connections at once, but a kept-alive
// connection can still bring a request. Such requests get 503 problem+json (the probes still answer, so /ready
// can say why it fails), and every response sent while draining carries `Connection: close`, so no client holds
// a socket open that would keep the close waiting.
import { HttpProblem } from './problem.js';
import { routeFactsOf, type RequestHooks } from './request-hooks.js';
import type { Service } from './service.js';

const PROBES = new Set(['/health', '/ready']);

/** Installs the hooks; returns whether shutdown has begun. */
export function drainOnClose(app: Service, hooks: RequestHooks): () => boolean {
  let draining = false;

  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });

  hooks.onRequest((request) =>
    draining && !PROBES.has(routeFactsOf(request).url ?? '')
      ? new HttpProblem(503, 'The service is shutting down; retry the request on another instance.')
      : undefined,
  );

  hooks.onSend((_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });

  return () => draining;
}
