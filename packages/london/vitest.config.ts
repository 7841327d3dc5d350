import { defineConfig } from 'vitest/config';

// CPU-bound property tests: on a loaded machine they take longer, never differently. A timeout
// is a hang detector here, not a speed target (those live in bench/).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
