import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'load-balancer', testTimeout: 30_000 } });
