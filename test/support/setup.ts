// Loaded before every test file (vitest.config.ts): the processes a test starts end with it.
import { afterEach, beforeEach } from 'vitest';
import { childRegistry } from './child.ts';

beforeEach(() => childRegistry.open());
afterEach(async () => {
  await childRegistry.close();
});
