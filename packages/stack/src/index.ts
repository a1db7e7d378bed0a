// The local stack as a library: what `pnpm start` runs (see start.ts), for tests and tools that need the plan.
export {
  planStack,
  serviceExists,
  PORT_VARIABLES,
  type ProcessSpec,
  type StackSettings,
} from './manifest.js';
export { takenPorts } from './ports.js';
