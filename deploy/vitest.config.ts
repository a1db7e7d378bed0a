import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'deploy', testTimeout: 60_000 } });
