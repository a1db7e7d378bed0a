// Shutdown starts with app.close(): the listener stops accepting connections at once, but a kept-alive
// connection can still bring a request. Such requests get 503 problem+json (the probes still answer, so /ready
// can say why it fails), and every response sent while draining carries `Connection: close`, so no client holds
// a socket open that would keep the close waiting.
import { HttpProblem } from './problem.js';
import type { Service } from './service.js';

const PROBES = new Set(['/health', '/ready']);

/** Installs the hooks; returns whether shutdown has begun. */
export function drainOnClose(app: Service): () => boolean {
  let draining = false;

  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });

  app.addHook('onRequest', (request, _reply, done) => {
    if (draining && !PROBES.has(request.routeOptions.url ?? '')) {
      return done(
        new HttpProblem(503, 'The service is shutting down; retry the request on another instance.'),
      );
    }
    done();
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });

  return () => draining;
}
