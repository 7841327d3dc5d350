import { defineConfig } from 'vitest/config';

// Every file runs in its own process (the embedded engine is one per process) and files run one
// at a time: each starts its own broker and pipeline, and this machine has two cores.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
