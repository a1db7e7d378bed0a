import { defineProject } from 'vitest/config';

// Database tests start and stop servers and create databases: slower than vitest's 5 s default allows for.
export default defineProject({ test: { name: 'db', testTimeout: 30_000, hookTimeout: 30_000 } });
