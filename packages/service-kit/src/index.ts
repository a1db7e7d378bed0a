// @backend-rebase/service-kit: what every service shares (the conventions of docs/operations.md).
export { createService, type ServiceOptions } from './create-service.js';
export {
  DEFAULT_SLOW_CLIENT_BOUNDS,
  slowClientBoundsFromEnv,
  type SlowClientBounds,
} from './slow-clients.js';
export type { Service } from './service.js';
export { runService, startupStep } from './run-service.js';
export { answerUnavailableWhen } from './unavailable.js';
export { addPeriodicJob, type PeriodicJob } from './periodic-job.js';
export { DEFAULT_PORTS } from './ports.js';
export type { Clock } from './clock.js';
export {
  loadConfig,
  loadConfigOrExit,
  exitOnConfigError,
  ConfigError,
  type LoadConfigOptions,
} from './config.js';
export { Env, parseBytes } from './env-fields.js';
export { HttpProblem, ProblemSchema } from './problem.js';
export { REQUEST_ID_HEADER } from './request-id.js';
export { acceptRawBodies } from './raw-bodies.js';
export { sendContinue } from './expect-continue.js';
export { lingerOnEarlyAnswers, type LingerBounds, type LingerEnd } from './lingering-close.js';
export { isLoopback } from './internal-guard.js';
export type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
export { Type, type Static, type StaticDecode } from 'typebox';
