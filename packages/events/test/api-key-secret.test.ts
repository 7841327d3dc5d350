import { describe, expect, it } from 'vitest';
import { API_KEY_SECRET_MIN_LENGTH, TOPICS, decodeMessage } from '../src/index.ts';

const ID = 'd7000000-0000-4000-8000-000000000001';
const SERVICE = 'c7000000-0000-4000-8000-000000000001';
const decodeKey = (secret: unknown) =>
  decodeMessage(TOPICS.referenceData, `api_key:${ID}`, JSON.stringify({ type: 'api_key', id: ID, service_id: SERVICE, secret, revoked: false }));

describe('API key secrets at the contract', () => {
  it(`accepts a secret of ${API_KEY_SECRET_MIN_LENGTH} characters or more`, () => {
    expect(API_KEY_SECRET_MIN_LENGTH).toBe(32);
    for (const secret of ['a'.repeat(32), '0123456789abcdef0123456789abcdef', 'x'.repeat(1000)]) {
      expect(decodeKey(secret)).toMatchObject({ kind: 'reference', record: { type: 'api_key', secret } });
    }
  });

  it('dead-letters a shorter one, saying why', () => {
    for (const secret of ['k', 's3cret-value', 'a'.repeat(31)]) {
      const d = decodeKey(secret);
      expect(d.kind, secret).toBe('invalid');
      if (d.kind === 'invalid') expect(d.reason).toBe('secret: must be at least 32 characters (a shorter API key secret can be guessed)');
    }
  });
});
