import { defineConfig } from 'vitest/config';

// A JVM broker start plus controlled shutdown easily exceeds vitest's 5s defaults.
export default defineConfig({
  test: { testTimeout: 120000, hookTimeout: 120000 },
});
