// The local stack as a library: what `pnpm start` runs (see start.ts), for tests and tools that need the plan.
export type { StackConfig } from './config.js';
export { planStack } from './manifest.js';
