import { defineProject } from 'vitest/config';

// Processes are killed and restarted against a real database: allow more than the default 5 s.
export default defineProject({ test: { name: 'increments-service', testTimeout: 30_000 } });
