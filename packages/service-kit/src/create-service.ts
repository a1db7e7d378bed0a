// The app every service starts from: a Fastify instance with the TypeBox type provider and the conventions of
// docs/operations.md already wired — request ids, problem+json errors, /health and /ready, /metrics, the
// OpenAPI docs at /docs, the /internal/ guard, `Expect: 100-continue` and the slow-client bounds of
// slow-clients.ts (idle, headers, request and keep-alive timeouts, header size and count); with `database`, the
// database readiness check and pool metrics (database.ts). `app.logger` is the service's logger, for code that
// runs outside a request (periodic jobs, hooks). It does not listen
// (see runService), so tests use inject() or listen on port 0. Add routes to the returned app, or register route
// plugins on it; both show up in /docs.
import type { Logger } from '@backend-rebase/logger';
import { toPinoLogger } from '@backend-rebase/logger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { wireDatabase, type DatabasePool } from './database.js';
import { addDocs } from './docs.js';
import { drainOnClose } from './draining.js';
import { answerErrorsWithProblems, clientErrors, frameworkErrors } from './errors.js';
import { handleExpectContinue } from './expect-continue.js';
import { lingerOnEarlyAnswersWith } from './lingering-close.js';
import { addHealthRoutes, type ReadinessCheck } from './health.js';
import { guardInternalRoutes } from './internal-guard.js';
import { addMetrics } from './metrics.js';
import { echoRequestId, requestIdOf } from './request-id.js';
import { RequestHooks } from './request-hooks.js';
import { logEachRequest } from './request-log.js';
import type { Service } from './service.js';
import {
  refuseTooManyHeaders,
  serverOptionsFor,
  slowClientBoundsFromEnv,
  survivesAbortedBodies,
  type SlowClientBounds,
} from './slow-clients.js';
import { validateRequests } from './validation.js';

export interface ServiceOptions {
  /** the service name: OpenAPI title (and, by convention, the logger's `service`) */
  name: string;
  /** OpenAPI version; default 0.0.0 */
  version?: string;
  logger: Logger;
  /** INTERNAL_TOKEN; unset = /internal/* serves loopback clients only */
  internalToken?: string;
  /** readiness checks known at creation; more can be added with app.addReadinessCheck */
  readiness?: Record<string, ReadinessCheck>;
  /** the service's database pool: adds the `database` readiness check and the db_pool_* metrics */
  database?: DatabasePool;
  /** how long one readiness check may take before it counts as failed; default 2000 ms */
  readinessTimeoutMs?: number;
  /** largest accepted request body in bytes; default 1 MiB (Fastify's) */
  bodyLimit?: number;
  /**
   * Slow-client bounds (slow-clients.ts); each one not given here comes from the environment's HTTP_* settings,
   * or their defaults.
   */
  slowClients?: Partial<SlowClientBounds>;
  /** longest path parameter the router matches (longer ones are a 404); default 100 (Fastify's) */
  maxParamLength?: number;
  /** trust X-Forwarded-* headers (request.ip, protocol); only behind a proxy you run; default false */
  trustProxy?: boolean;
}

export async function createService(options: ServiceOptions): Promise<Service> {
  const loggerInstance: FastifyBaseLogger = toPinoLogger(options.logger);
  const bounds: SlowClientBounds = { ...slowClientBoundsFromEnv(), ...options.slowClients };
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2_000;
  const app = Fastify({
    loggerInstance,
    // request-log.ts writes one line per request instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    genReqId: requestIdOf,
    frameworkErrors,
    clientErrorHandler: (error, socket) => clientErrors(error, socket, bounds.linger),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ...serverOptionsFor(bounds),
    trustProxy: options.trustProxy ?? false,
    routerOptions: { maxParamLength: options.maxParamLength ?? 100 },
    forceCloseConnections: 'idle', // close() drops idle keep-alive sockets; in-flight requests finish
    return503OnClosing: false, // draining.ts answers those requests, as problem+json
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('logger', options.logger);
  validateRequests(app);
  // The parts below run in this order within one hook per phase (request-hooks.ts).
  const hooks = new RequestHooks(app);
  echoRequestId(hooks);
  logEachRequest(app, hooks);
  // Before the guard and `Expect: 100-continue`: a request with too many fields gets no 100.
  refuseTooManyHeaders(app, hooks, bounds.maxHeaderCount);
  survivesAbortedBodies(hooks);
  const isDraining = drainOnClose(app, hooks);
  guardInternalRoutes(hooks, options.internalToken);
  // After the guard and the shutdown check: a request they refuse gets no 100, so its body is never sent.
  handleExpectContinue(app, hooks);
  // An answer given before the body was read closes with a lingering close.
  lingerOnEarlyAnswersWith(app, hooks, bounds.linger);
  answerErrorsWithProblems(app);
  // The docs plugin only sees routes added after it, so it comes before any route, the kit's own included.
  await addDocs(app, { title: options.name, version: options.version ?? '0.0.0' });
  addMetrics(app);
  addHealthRoutes(app, {
    checks: options.readiness ?? {},
    timeoutMs: readinessTimeoutMs,
    isDraining,
  });
  if (options.database) wireDatabase(app, options.database, readinessTimeoutMs);
  return app;
}
