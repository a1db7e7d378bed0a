import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'cache-proxy', testTimeout: 30_000 } });
