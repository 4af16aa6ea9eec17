import { defineConfig } from 'vitest/config';

/** `npm run test:faults`: quality.md's fault and load tests (test/faults), each bounded in time. */
export default defineConfig({
  test: {
    // The bundled bin, made again when a source changed: process tests run it (test/helpers/process.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/faults/**/*.test.ts'],
    // One at a time: they measure, crash and restart real processes.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
