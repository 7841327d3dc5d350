import { describe, expect, it } from 'vitest';
import { parseEnv } from '@notify-stats/runtime';
import { ingestEnv, ingestOpsEnv } from '../src/env.ts';

const SERVICE = '6f0c7e3a-1b2c-4d5e-8f90-123456789abc';

describe('ingest environment', () => {
  it('has the documented defaults, an empty value counting as unset', () => {
    expect(parseEnv(ingestEnv, { INGEST_STALL_AFTER_MS: '' })).toEqual({
      KAFKA_TOPIC_PARTITIONS: 6,
      INGEST_SESSION_TIMEOUT_MS: 30_000,
      INGEST_STALL_AFTER_MS: 30_000,
      INGEST_STUCK_AFTER_MS: 60_000,
      INGEST_METADATA_MAX_AGE_MS: 30_000,
    });
    expect(parseEnv(ingestOpsEnv, {})).toEqual({ METRICS_PORT: 6013, METRICS_HOST: '127.0.0.1' });
  });

  it('turns strings into numbers and the quarantine list into a set of lower-case ids', () => {
    const env = parseEnv(ingestEnv, { INGEST_SESSION_TIMEOUT_MS: '6000', KAFKA_TOPIC_REPLICATION_FACTOR: '3', INGEST_REJECT_SERVICES: `${SERVICE.toUpperCase()},${SERVICE}` });
    expect(env.INGEST_SESSION_TIMEOUT_MS).toBe(6000);
    expect(env.KAFKA_TOPIC_REPLICATION_FACTOR).toBe(3);
    expect(env.INGEST_REJECT_SERVICES).toEqual(new Set([SERVICE]));
  });

  it('refuses a bad value, naming the variable and what it must be', () => {
    expect(() => parseEnv(ingestEnv, { INGEST_REJECT_SERVICES: 'not-an-id' })).toThrow(/INGEST_REJECT_SERVICES: must be comma-separated service ids/);
    // Below the broker's minimum session timeout.
    expect(() => parseEnv(ingestEnv, { INGEST_SESSION_TIMEOUT_MS: '5999' })).toThrow(/INGEST_SESSION_TIMEOUT_MS: Too small/);
  });
});
