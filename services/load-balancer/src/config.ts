// The load balancer's settings, from the environment (and .env), with the defaults of
// docs/load-balancer.md. Durations ending in _MS are plain milliseconds, as the contract names them.
import { Env, Type, loadConfigOrExit, type StaticDecode } from '@backend-rebase/service-kit';

export const LoadBalancerSettings = Type.Object({
  PORT: Env.port(3000),
  HOST: Env.host('0.0.0.0'),
  /** ketama points per node: md5("<name>-<i>") gives four, so a multiple of 4 */
  RING_POINTS_PER_NODE: Type.Integer({
    minimum: 4,
    maximum: 4096,
    multipleOf: 4,
    default: 160,
    description: 'a multiple of 4 from 4 to 4096',
  }),
  // Replication (R > 1) is the next issue; until it lands the balancer keeps one copy, on the first owner.
  REPLICATION_FACTOR: Type.Integer({
    minimum: 1,
    maximum: 1,
    default: 1,
    description: '1 (replication to more owners is not built yet)',
  }),
  HEALTH_INTERVAL_MS: Env.integer(2000, { minimum: 10 }),
  /** how long one active health check may take before it counts as failed */
  HEALTH_TIMEOUT_MS: Env.integer(1000, { minimum: 10 }),
  UPSTREAM_TIMEOUT_MS: Env.integer(30_000, { minimum: 1 }),
  /** keep-alive connections per blob server */
  UPSTREAM_CONNECTIONS: Env.integer(128, { minimum: 1 }),
  MIN_NODES: Env.integer(1, { minimum: 0 }),
  REGISTRATION_WINDOW_SECONDS: Env.integer(0, { minimum: 0 }),
  INTERNAL_TOKEN: Env.optionalString(),
});

export type LoadBalancerConfig = StaticDecode<typeof LoadBalancerSettings>;

export function loadLoadBalancerConfig(): LoadBalancerConfig {
  return loadConfigOrExit(LoadBalancerSettings);
}
