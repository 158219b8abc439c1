import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/canary-guard.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: real servers, JVMs and child processes compete; keep parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
