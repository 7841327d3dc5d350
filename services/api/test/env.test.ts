import { describe, expect, it } from 'vitest';
import { parseEnv } from '@notify-stats/runtime';
import { DEV_ADMIN_SECRET, DEV_OPERATOR_SECRET, apiEnv } from '../src/env.ts';

describe('api environment', () => {
  it('has the documented defaults: development secrets, operations on PORT + 1', () => {
    expect(parseEnv(apiEnv, {})).toEqual({
      NODE_ENV: 'development',
      PORT: 6011,
      HOST: '127.0.0.1',
      ADMIN_CLIENT_ID: 'notify-admin',
      ADMIN_CLIENT_SECRET: DEV_ADMIN_SECRET,
      adminSecretIsDefault: true,
      OPERATOR_CLIENT_ID: 'notify-operator',
      OPERATOR_CLIENT_SECRET: DEV_OPERATOR_SECRET,
      operatorSecretIsDefault: true,
      API_RATE_LIMIT_PER_MINUTE: 600,
      API_AUTH_FAILURES_PER_MINUTE: 30,
      RESTATEMENT_AGE_DAYS: 2,
      METRICS_PORT: 6012,
      METRICS_HOST: '127.0.0.1',
    });
  });

  it('turns strings into numbers; a free API port gives a free operations port', () => {
    expect(parseEnv(apiEnv, { PORT: '0', API_RATE_LIMIT_PER_MINUTE: '0' })).toMatchObject({ PORT: 0, METRICS_PORT: 0, API_RATE_LIMIT_PER_MINUTE: 0 });
    expect(parseEnv(apiEnv, { PORT: '7011' }).METRICS_PORT).toBe(7012);
  });

  it('refuses bad values with a message saying what is wrong', () => {
    expect(() => parseEnv(apiEnv, { NODE_ENV: 'production' })).toThrow(/ADMIN_CLIENT_SECRET: is required when NODE_ENV=production/);
    expect(() => parseEnv(apiEnv, { ADMIN_CLIENT_SECRET: 'short' })).toThrow(/ADMIN_CLIENT_SECRET: must be at least 16 characters/);
    expect(() => parseEnv(apiEnv, { OPERATOR_CLIENT_ID: 'notify-admin' })).toThrow(/OPERATOR_CLIENT_ID: must differ from ADMIN_CLIENT_ID/);
    expect(() => parseEnv(apiEnv, { PORT: '7011', METRICS_PORT: '7011' })).toThrow(/METRICS_PORT: must differ from PORT/);
  });
});
