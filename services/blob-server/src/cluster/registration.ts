// Membership in the cluster: after warm-up, the node announces itself to the load balancer with
// `POST {LOAD_BALANCER_URL}/internal/nodes {name, destination: {host, port}, bootId}`, and keeps announcing
// itself every `intervalMs` for as long as it runs (a heartbeat), so a balancer that restarted, or lost its
// state, knows the whole cluster again within one interval. `bootId` is new at every process start: the
// balancer tells a heartbeat (same bootId) from a restart (a new one, whose copies may be behind).
//
// While the balancer cannot be reached or answers 5xx, the node retries with exponential backoff and jitter
// (so a restarted fleet does not knock in step), capped at min(2 s, intervalMs), serving direct traffic
// meanwhile. `410 Gone` means an operator removed this node from the cluster: it stops announcing (a restart,
// with a new bootId, is how it rejoins). Any other 4xx is a refusal retrying cannot change (an invalid name, a
// wrong token): logged as an error, and the announcements stop too.
import type { Logger } from '@backend-rebase/logger';
import { request } from 'undici';

export interface AnnouncementOptions {
  loadBalancerUrl: string;
  name: string;
  host: string;
  port: number;
  /** new at every process start */
  bootId: string;
  /** HEARTBEAT_INTERVAL_MS: between two announcements that succeeded */
  intervalMs: number;
  internalToken?: string;
  logger: Logger;
  signal: AbortSignal;
  /** first retry delay after a failure; doubles up to min(2000, intervalMs) */
  initialDelayMs?: number;
  /** waits `ms` or until `signal` aborts; tests pass one that records the waits */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Why the announcements ended: removed from the cluster (410), refused (another 4xx), or the node stops. */
export type AnnouncementEnd = 'removed' | 'refused' | 'stopped';

const MAX_RETRY_DELAY_MS = 2_000;

export async function announceToLoadBalancer(options: AnnouncementOptions): Promise<AnnouncementEnd> {
  const { logger, signal, intervalMs } = options;
  const wait = options.wait ?? sleep;
  const url = new URL('/internal/nodes', options.loadBalancerUrl);
  const body = JSON.stringify({
    name: options.name,
    destination: { host: options.host, port: options.port },
    bootId: options.bootId,
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.internalToken) headers.authorization = `Bearer ${options.internalToken}`;
  const firstDelay = Math.min(options.initialDelayMs ?? 250, MAX_RETRY_DELAY_MS, intervalMs);
  const maxDelay = Math.min(MAX_RETRY_DELAY_MS, intervalMs);
  let delay = firstDelay;
  let announced = false;
  /** failed attempts since the last success (or the start) */
  let failures = 0;

  while (!signal.aborted) {
    let failure: Record<string, unknown>;
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        signal,
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      const answer = await response.body.text();
      const status = response.statusCode;
      if (status < 300) {
        if (!announced)
          logger.info('registered with the load balancer', { url: url.href, name: options.name });
        else if (failures > 0) logger.info('the load balancer is reachable again', { failures });
        announced = true;
        failures = 0;
        delay = firstDelay;
        await wait(intervalMs, signal);
        continue;
      }
      if (status === 410) {
        logger.warn(
          'the load balancer removed this node from the cluster; no longer announcing it (restart the node to rejoin)',
          { status, answer },
        );
        return 'removed';
      }
      if (status < 500) {
        logger.error('the load balancer refused the registration; no longer announcing', { status, answer });
        return 'refused';
      }
      failure = { status, answer };
    } catch (error) {
      if (signal.aborted) break;
      failure = { err: error };
    }
    failures += 1;
    // The first failure of a run is a warning; the rest repeat it every few seconds, so they are debug lines.
    const level = failures === 1 ? 'warn' : 'debug';
    logger[level]('announcing to the load balancer failed; retrying', {
      url: url.href,
      ...failure,
      failures,
      delayMs: delay,
    });
    await wait(delay * (0.5 + Math.random() / 2), signal);
    delay = Math.min(delay * 2, maxDelay);
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
