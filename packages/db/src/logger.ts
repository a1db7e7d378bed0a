// The only logging this package needs, in the project's call shape (a message, then the line's fields; an error
// under `err`): @backend-rebase/logger's Logger fits, and without one nothing is printed. `debug` is optional so
// a logger can opt in to PostgreSQL's own chatter.
type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  debug?(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
