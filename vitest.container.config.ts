/** Runner settings for the container test (`npm run test:container`): one file, the image built once, generous bounds. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    // Building the base image (first time on a machine, up to 10 minutes on a busy one) and the hradba image happen in beforeAll.
    hookTimeout: 1_200_000,
    teardownTimeout: 60_000,
  },
});
