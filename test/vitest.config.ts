import { defineConfig } from 'vitest/config';

// Every file runs in its own process (the embedded engine is one per process) and files run one
// at a time: each starts its own broker and pipeline, and this machine has two cores.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    // Stops every process a test started when the test ends, passed, failed or timed out.
    setupFiles: ['support/setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
