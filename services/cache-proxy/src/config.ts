// The cache proxy's settings, from the environment (and .env), with the defaults of docs/cache-proxy.md.
// UPSTREAM_TIMEOUT_MS and UPSTREAM_CONNECTIONS are not in the contract; they mirror the load balancer's.
import {
  DEFAULT_PORTS,
  Env,
  Type,
  loadConfig as loadSettings,
  type LoadConfigOptions,
  type StaticDecode,
} from '@backend-rebase/service-kit';

export const Config = Type.Object({
  PORT: Env.port(DEFAULT_PORTS['cache-proxy']),
  HOST: Env.host('0.0.0.0'),
  /** the load balancer (or any server of the /blobs contract) */
  UPSTREAM_URL: Env.url(`http://127.0.0.1:${DEFAULT_PORTS['load-balancer']}`),
  MAX_ITEMS_IN_CACHE: Env.integer(1000, { minimum: 1, maximum: 10_000_000 }),
  CACHE_MAX_BYTES: Env.bytes('64MiB'),
  CACHE_MAX_ENTRY_BYTES: Env.bytes('1MiB'),
  /** 0: entries live until evicted or invalidated */
  CACHE_TTL_SECONDS: Env.integer(0, { minimum: 0 }),
  /** how long upstream may take to send its headers, and then between two body chunks */
  UPSTREAM_TIMEOUT_MS: Env.integer(30_000, { minimum: 1 }),
  /** keep-alive connections to the upstream */
  UPSTREAM_CONNECTIONS: Env.integer(128, { minimum: 1 }),
  INTERNAL_TOKEN: Env.optionalString(),
});

export type Config = StaticDecode<typeof Config>;

export function loadConfig(options?: LoadConfigOptions): Config {
  return loadSettings(Config, options);
}
