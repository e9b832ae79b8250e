/** Test runner settings: unit and integration tests under test/, each file in its own forked process. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The container test builds and runs the image: `npm run test:container` (CI runs it after this suite).
    exclude: ['test/container/**', 'node_modules/**'],
    // Forks, not threads: integration files spawn NSD and hradba children and handle their signals,
    // which is cleaner per process; each file picks its own free ports, so files may run in parallel.
    pool: 'forks',
    fileParallelism: true,
    // Integration tests start real servers and wait on dig timeouts; every wait inside is bounded well below these.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
  },
});
