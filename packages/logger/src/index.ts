// @backend-rebase/logger: one winston logger per process, JSON lines on stdout, optional Logz.io shipping.
export { createLogger, loggerSettingsProblems } from './create-logger.js';
export type { Logger } from './logger.js';
export { closeLogger } from './close-logger.js';
export { toPinoLogger } from './pino-adapter.js';
export { maskEmail, maskEmails, mayHoldEmail } from './mask-email.js';
export { maskQuery, maskUrl, maskUrlComponent } from './mask-url.js';
