import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The bundled bin, made again when a source changed: process tests run it (test/helpers/process.ts).
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // The fault and load tests run on their own: npm run test:faults (vitest.faults.config.ts).
    exclude: ['test/faults/**', 'node_modules/**'],
    // Most files wait on a store or a child process: three at once keep two cores busy (about 2.5 min, not 4).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
