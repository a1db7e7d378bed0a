// The only logging this package needs: any structured logger fits (pino, winston, the project's own), and
// without one nothing is printed. `debug` is optional so a logger can opt in to PostgreSQL's own chatter.
export interface Logger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
  debug?(msg: string, meta?: object): void;
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
