import { describe, expect, it } from 'vitest';
import { uuidV5 } from '../src/service-stats/uuid-v5.ts';

describe('uuidV5', () => {
  it("matches the published example (Python's uuid docs: uuid5(NAMESPACE_DNS, 'python.org'))", () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });
});
