import { defineConfig } from 'vitest/config';

// The embedded engine (chdb) is one per process and bound to one data folder: every test file
// runs in its own forked process and opens its own fresh temp folder.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
