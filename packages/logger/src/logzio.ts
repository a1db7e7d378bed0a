// The optional Logz.io shipper. It exists only when LOGZIO_TOKEN is set (winston-logzio throws without a token),
// so a service without a token never attempts a connection. It speaks https by default: the library's own default
// is plain http with the token in the query string.
//
//   LOGZIO_TOKEN      the account's shipping token; unset = no shipping
//   LOGZIO_LISTENER   host or host:port of the listener (default listener.logz.io; port 8071 for https)
//   LOGZIO_PROTOCOL   https (default) or http, for a local relay or a test server
import LogzioWinstonTransport from 'winston-logzio';

export type Env = Record<string, string | undefined>;

export function createLogzioTransport(
  service: string,
  level: string,
  env: Env,
): LogzioWinstonTransport | undefined {
  const token = env.LOGZIO_TOKEN;
  if (!token) return undefined;

  const [problem] = logzioSettingsProblems(env);
  if (problem) throw new Error(problem);
  const protocol = env.LOGZIO_PROTOCOL ?? 'https';
  const listener = parseListener(env.LOGZIO_LISTENER ?? 'listener.logz.io', protocol) as URL;

  return new LogzioWinstonTransport({
    name: 'logzio',
    level,
    token,
    type: service,
    protocol,
    host: listener.hostname,
    ...(listener.port ? { port: listener.port } : {}),
    timeout: 5_000,
    addOtelContext: false,
    // The library reports delivery failures through this logger; stdout carries only JSON lines.
    internalLogger: { log: (message: string) => process.stderr.write(`${message}\n`) },
  });
}

/** What is wrong with the LOGZIO_* variables; nothing when no token is set, since then they are never read. */
export function logzioSettingsProblems(env: Env): string[] {
  if (!env.LOGZIO_TOKEN) return [];
  const protocol = env.LOGZIO_PROTOCOL ?? 'https';
  if (protocol !== 'https' && protocol !== 'http') {
    return [`LOGZIO_PROTOCOL must be https or http, got "${protocol}"`];
  }
  const listener = env.LOGZIO_LISTENER ?? 'listener.logz.io';
  return parseListener(listener, protocol)
    ? []
    : [`LOGZIO_LISTENER must be a host or host:port, got "${listener}"`];
}

function parseListener(listener: string, protocol: string): URL | undefined {
  if (!URL.canParse(`${protocol}://${listener}`)) return undefined;
  const url = new URL(`${protocol}://${listener}`);
  return url.pathname === '/' && !url.search && !url.username ? url : undefined;
}
