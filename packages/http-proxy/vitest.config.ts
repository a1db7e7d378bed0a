import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'http-proxy', testTimeout: 30_000 } });
