import { defineProject } from 'vitest/config';

// Real servers, real files, fsync on: on a busy 2-core machine a test can take seconds for the right reasons.
export default defineProject({ test: { name: 'blob-server', testTimeout: 30_000, hookTimeout: 30_000 } });
