import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time (vitest's default is one fewer than the CPUs: one on the project's 2-core machine), so
    // the whole suite takes about 5-8 minutes instead of 8-15. No test may depend on an idle machine: CI must pass on
    // a loaded one, and two files at a time keeps that honest.
    maxWorkers: 2,
  },
});
