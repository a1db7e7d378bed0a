// Joining the cluster: after warm-up, the node announces itself to the load balancer with
// `POST {LOAD_BALANCER_URL}/internal/nodes {name, destination: {host, port}}`, and keeps trying — with
// exponential backoff and jitter, so a restarted fleet does not knock in step — until the balancer accepts it
// (it serves direct traffic meanwhile). A refusal that retrying cannot change (a 4xx: an invalid name, a closed
// registration window) is logged and ends the attempts. Registration is once per start: a node removed with
// DELETE /internal/nodes/:name stays removed until it restarts.
import type { Logger } from '@backend-rebase/logger';
import { request } from 'undici';

export interface RegistrationOptions {
  loadBalancerUrl: string;
  name: string;
  host: string;
  port: number;
  internalToken?: string;
  logger: Logger;
  signal: AbortSignal;
  /** first retry delay; doubles up to maxDelayMs */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export type RegistrationResult = 'registered' | 'refused' | 'stopped';

export async function registerWithLoadBalancer(options: RegistrationOptions): Promise<RegistrationResult> {
  const { logger, signal } = options;
  const url = new URL('/internal/nodes', options.loadBalancerUrl);
  const body = JSON.stringify({
    name: options.name,
    destination: { host: options.host, port: options.port },
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.internalToken) headers.authorization = `Bearer ${options.internalToken}`;
  let delay = options.initialDelayMs ?? 250;

  for (let attempt = 1; !signal.aborted; attempt += 1) {
    try {
      const response = await request(url, { method: 'POST', headers, body, signal, headersTimeout: 5_000 });
      const answer = await response.body.text();
      if (response.statusCode < 300) {
        logger.info('registered with the load balancer', { url: url.href, name: options.name, attempt });
        return 'registered';
      }
      if (response.statusCode < 500) {
        logger.error('the load balancer refused the registration', { status: response.statusCode, answer });
        return 'refused';
      }
      logger.warn('registration failed; retrying', { status: response.statusCode, attempt, delayMs: delay });
    } catch (error) {
      if (signal.aborted) break;
      logger.warn('the load balancer is not reachable; retrying', {
        url: url.href,
        attempt,
        delayMs: delay,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    await sleep(delay * (0.5 + Math.random() / 2), signal);
    delay = Math.min(delay * 2, options.maxDelayMs ?? 10_000);
  }
  return 'stopped';
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
