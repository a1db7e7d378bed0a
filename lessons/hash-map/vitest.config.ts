import { defineProject } from 'vitest/config';

// The tests run the lesson's programs as child processes under tsx, which takes seconds of CPU to start on a
// busy 2-core machine: a 5 s default would fail a correct program for being slow to load.
export default defineProject({ test: { name: 'hash-map', testTimeout: 30_000 } });
