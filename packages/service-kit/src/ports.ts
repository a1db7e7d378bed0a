// Where each service listens unless PORT says otherwise: the one table both the services' config schemas and
// `pnpm start` (packages/stack) read, so moving a service to another port is one edit. The ports are the
// contract's: 3000 balancer, 3001+ blob servers, 4242 cache proxy, 31xx users, 32xx analytics.
export const DEFAULT_PORTS = {
  'load-balancer': 3000,
  'blob-server': 3001,
  'cache-proxy': 4242,
  'user-service': 3100,
  'analytics-service': 3200,
  'increments-service': 3201,
  'the-wolf': 3202,
} as const;
