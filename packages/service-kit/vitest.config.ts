import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'service-kit', testTimeout: 30_000 } });
