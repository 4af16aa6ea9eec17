import { defineConfig } from 'vitest/config';

/**
 * `npm run test:fuzz`: the fuzz suite at quality.md's strength, 10,000
 * generated requests per route (`npm test` runs it as a smoke run: 100).
 * TICKETD_FUZZ_SEED picks another seed; TICKETD_FUZZ_RUNS another count.
 */
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.fuzz.test.ts'],
    env: { TICKETD_FUZZ_RUNS: process.env.TICKETD_FUZZ_RUNS ?? '10000' },
    testTimeout: 600_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
