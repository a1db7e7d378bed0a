// The local stack as a library: what `pnpm start` runs (see start.ts), for tests and tools that need the plan.
export { loadStackConfig, type StackConfig } from './config.js';
export { planStack, serviceExists, type ProcessSpec } from './manifest.js';
export { takenPorts } from './ports.js';
