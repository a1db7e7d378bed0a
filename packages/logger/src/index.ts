// @backend-rebase/logger: one winston logger per process, JSON lines on stdout, optional Logz.io shipping.
export { createLogger, loggerSettingsProblems, type Logger, type LoggerOptions } from './create-logger.js';
export { closeLogger } from './close-logger.js';
export {
  toPinoLogger,
  type PinoAdapter,
  type PinoLevel,
  type LogFn,
  type ChildOptions,
} from './pino-adapter.js';
export { maskEmail, maskEmails, mayHoldEmail } from './mask-email.js';
export { maskQuery, maskUrl, maskUrlComponent } from './mask-url.js';
export { serializeError, type SerializedError } from './json-line.js';
