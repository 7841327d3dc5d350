import { defineConfig } from 'vitest/config';

// The embedded engine is one per process, bound to one folder: each test file gets its own
// process (forks) and its own fresh data folder. Opening and migrating it takes seconds.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60000,
    hookTimeout: 60000,
  },
});
