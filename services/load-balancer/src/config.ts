// The load balancer's settings, from the environment (and .env), with the defaults of docs/load-balancer.md.
// Durations ending in _MS are plain milliseconds, as the contract names them; TOMBSTONE_TTL takes a unit (7d).
// Rules between variables (WRITE_QUORUM ≤ REPLICATION_FACTOR, the tombstone floor) are checked after the schema,
// and every broken one is reported at once, naming the variables involved.
import { hostname } from 'node:os';
import { tombstoneTtlProblem } from '@backend-rebase/blob-contract';
import {
  ConfigError,
  DEFAULT_PORTS,
  Env,
  Type,
  loadConfig as loadSettings,
  type LoadConfigOptions,
  type StaticDecode,
} from '@backend-rebase/service-kit';

export const Config = Type.Object({
  PORT: Env.port(DEFAULT_PORTS['load-balancer']),
  HOST: Env.host('0.0.0.0'),
  /** ketama points per node: md5("<name>-<i>") gives four, so a multiple of 4 */
  RING_POINTS_PER_NODE: Type.Integer({
    minimum: 4,
    maximum: 4096,
    multipleOf: 4,
    default: 160,
    description: 'a multiple of 4 from 4 to 4096',
  }),
  /** copies of each blob; the balancer caps it at the number of nodes on the ring */
  REPLICATION_FACTOR: Env.integer(2, { minimum: 1, maximum: 10 }),
  /** distinct nodes that must store a write before it is acknowledged; default REPLICATION_FACTOR */
  WRITE_QUORUM: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 10,
      description: 'an integer from 1 to 10, at most REPLICATION_FACTOR',
    }),
  ),
  /** breaks ties between balancers' version stamps; an integer 0..255 is used as is; default <hostname>:<PORT> */
  BALANCER_ID: Env.optionalString(),
  /** how long a reclaimable tombstone is kept, from the time its node stored it */
  TOMBSTONE_TTL: Env.duration('7d'),
  /** copies and purges the rebalancer runs at once */
  REBALANCE_CONCURRENCY: Env.integer(4, { minimum: 1, maximum: 64 }),
  /** a rebalancer pass runs at least this often, whatever happens (anti-entropy) */
  REBALANCE_INTERVAL_MS: Env.integer(300_000, { minimum: 1000 }),
  /**
   * after a (re)start the balancer learns its nodes one heartbeat at a time; passes wait this long so the first
   * one sees the whole cluster instead of copying blobs to the few nodes known so far (a node's default
   * HEARTBEAT_INTERVAL_MS is 10 s)
   */
  REBALANCE_START_DELAY_MS: Env.integer(15_000, { minimum: 0 }),
  /**
   * where the balancer keeps its membership (nodes, draining, removed), so a restart knows the cluster at once
   * rather than one heartbeat at a time; unset: kept in memory only
   */
  MEMBERSHIP_FILE: Env.optionalString(),
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

/** The settings with their derived defaults filled in (WRITE_QUORUM, BALANCER_ID). */
export type Config = StaticDecode<typeof Config> & {
  WRITE_QUORUM: number;
  BALANCER_ID: string;
};

/** loadConfig, and the rules between variables: throws a ConfigError naming each one broken. */
export function loadConfig(options?: LoadConfigOptions): Config {
  const settings = loadSettings(Config, options);
  const problems: string[] = [];
  const writeQuorum = settings.WRITE_QUORUM ?? settings.REPLICATION_FACTOR;
  if (writeQuorum > settings.REPLICATION_FACTOR) {
    problems.push(
      `WRITE_QUORUM (${writeQuorum}) must not exceed REPLICATION_FACTOR (${settings.REPLICATION_FACTOR}): ` +
        'a write cannot be stored on more nodes than it is sent to',
    );
  }
  const ttlProblem = tombstoneTtlProblem(settings.TOMBSTONE_TTL);
  if (ttlProblem !== undefined) problems.push(ttlProblem);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...settings,
    WRITE_QUORUM: writeQuorum,
    BALANCER_ID: settings.BALANCER_ID ?? `${hostname()}:${settings.PORT}`,
  };
}
