// The entry point's half of a service: listen, then shut down gracefully on SIGTERM or SIGINT.
// Shutdown: /ready turns 503 and the listener closes (no new connections), in-flight requests finish, the
// onShutdown hooks run in order (flush buffers, then close pools), the logger is flushed, exit 0.
// It is bounded: past `shutdownTimeoutMs`, or on a second signal, the process exits 1 with a log line saying why.
// A port that cannot be listened on is a clear message and exit 1, not a stack trace. Once listening, the
// service logs the whole configuration it runs with in one line, secrets redacted, so an operator reads what a
// process was started with instead of guessing from its environment.
import { closeLogger, type Logger } from '@backend-rebase/logger';
import type { FastifyInstance } from 'fastify';

type ShutdownHook = () => Promise<unknown> | void;

/** A service's loaded configuration: it listens on PORT at HOST; every other setting is logged. */
interface RunConfig {
  PORT: number;
  HOST: string;
}

export interface RunOptions {
  app: FastifyInstance;
  config: RunConfig;
  logger: Logger;
  /** run in order, each awaited, after the last request has been answered */
  onShutdown?: ShutdownHook[];
  /** default 10 s */
  shutdownTimeoutMs?: number;
  /** What the service found out at start-up (the database it opened …), logged with the configuration. */
  settings?: Record<string, unknown>;
}

/** Resolves with the address once listening; from then on the process ends only through a signal. */
export async function runService({
  app,
  config,
  logger,
  onShutdown = [],
  shutdownTimeoutMs = 10_000,
  settings,
}: RunOptions): Promise<string> {
  const { PORT: port, HOST: host } = config;
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (error) {
    logger.error(listenFailure(error, host, port), { err: error });
    return exit(logger, 1);
  }
  // Fastify answers with one address; on every interface (0.0.0.0, ::) that is a loopback one, which would
  // tell a reader of a container's log that nothing outside can reach the service.
  const where =
    host === '0.0.0.0' || host === '::'
      ? `every interface (${host}), port ${new URL(address).port}`
      : address;
  logger.info(`listening on ${where}`, { config: loggable(config), ...settings });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error(`received ${signal} again during shutdown; exiting now`);
      void exit(logger, 1);
      return;
    }
    stopping = true;
    logger.info('shutting down', { signal });
    setTimeout(() => {
      logger.error(`shutdown did not finish within ${shutdownTimeoutMs} ms; exiting`);
      void exit(logger, 1);
    }, shutdownTimeoutMs).unref();

    shutDown(app, logger, onShutdown).then(
      (clean) => exit(logger, clean ? 0 : 1),
      (error: unknown) => {
        logger.error('shutdown failed', { err: error });
        return exit(logger, 1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return address;
}

/** Resolves true when every hook succeeded; a failing hook is logged and the others still run. */
async function shutDown(app: FastifyInstance, logger: Logger, hooks: ShutdownHook[]): Promise<boolean> {
  await app.close();
  let clean = true;
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      clean = false;
      logger.error('a shutdown hook failed', { err: error });
    }
  }
  logger.info('shutdown complete');
  return clean;
}

/**
 * For entry files, before listening: a start-up step that fails (a database that cannot be reached, a migration
 * that is refused) is logged as `<what>: <reason>` and the process exits 1, instead of dying on a stack trace.
 */
export async function startupStep<T>(logger: Logger, what: string, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    logger.error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { err: error });
    return exit(logger, 1);
  }
}

async function exit(logger: Logger, code: number): Promise<never> {
  await closeLogger(logger, 2_000);
  process.exit(code);
}

const SECRET_NAME = /TOKEN|SECRET|PASSWORD/;

/** The configuration as it may be logged: secrets replaced, passwords in URLs masked. */
function loggable(config: RunConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (SECRET_NAME.test(name)) shown[name] = '[redacted]';
    else if (typeof value === 'string' && name.endsWith('_URL')) shown[name] = withoutPassword(value);
    else shown[name] = value;
  }
  return shown;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[not a URL]';
  }
}

function listenFailure(error: unknown, host: string, port: number): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `cannot listen on ${host}:${port}: port ${port} is already in use (stop the other process or choose another PORT)`;
    case 'EACCES':
      return `cannot listen on ${host}:${port}: not allowed to use port ${port} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}:${port}: ${host} is not an address of this machine`;
    default:
      return `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
