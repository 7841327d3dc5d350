import { describe, expect, it } from 'vitest';
import { parseEnv } from '@notify-stats/runtime';
import { rollupsEnv, rollupsOpsEnv } from '../src/env.ts';

describe('rollups environment', () => {
  it('has the documented defaults', () => {
    expect(parseEnv(rollupsEnv, {})).toEqual({ ROLLUP_INTERVAL_MS: 1000, ROLLUP_SAFETY_CRON: '0 3 * * *', ROLLUP_SAFETY_DAYS: 10, RESTATEMENT_AGE_DAYS: 2 });
    expect(parseEnv(rollupsOpsEnv, {})).toEqual({ METRICS_PORT: 6014, METRICS_HOST: '127.0.0.1' });
  });

  it('turns the safety repair off with an empty cron, as the README says', () => {
    expect(parseEnv(rollupsEnv, { ROLLUP_SAFETY_CRON: '' }).ROLLUP_SAFETY_CRON).toBe('');
  });

  it('turns strings into numbers', () => {
    expect(parseEnv(rollupsEnv, { ROLLUP_INTERVAL_MS: '250', ROLLUP_SAFETY_DAYS: '3' })).toMatchObject({ ROLLUP_INTERVAL_MS: 250, ROLLUP_SAFETY_DAYS: 3 });
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => parseEnv(rollupsEnv, { ROLLUP_INTERVAL_MS: 'soon' })).toThrow(/ROLLUP_INTERVAL_MS: Invalid input: expected number/);
    expect(() => parseEnv(rollupsEnv, { ROLLUP_SAFETY_DAYS: '401' })).toThrow(/ROLLUP_SAFETY_DAYS: Too big/);
    expect(() => parseEnv(rollupsEnv, { RESTATEMENT_AGE_DAYS: '-1' })).toThrow(/RESTATEMENT_AGE_DAYS: Too small/);
  });
});
