// redrive's refusals, decided before any broker is asked.
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { redrive, type DeadLetter } from '../src/dlq.ts';

const letter = (over: Partial<DeadLetter>): DeadLetter => ({
  id: 'notify.inbound-sms.v1.dlq:0:5',
  dlqTopic: 'notify.inbound-sms.v1.dlq',
  partition: 0,
  offset: '5',
  key: null,
  value: Buffer.from('{'),
  reason: 'invalid JSON',
  sourceTopic: 'notify.inbound-sms.v1',
  sourcePartition: 2,
  sourceOffset: '41',
  failedAt: null,
  redriveCount: 0,
  redriven: false,
  truncatedFromBytes: null,
  headers: {},
  ...over,
});

// Any call on this client fails the test: these letters must be refused before a broker is asked.
const noBroker = new Proxy({}, { get: () => () => { throw new Error('the broker was asked'); } }) as unknown as Kafka;

describe('redrive refusals', () => {
  it('does not republish a payload that was cut to fit the dead-letter topic, and says where the original is', async () => {
    const result = await redrive(noBroker, [letter({ truncatedFromBytes: 3_145_728 })]);
    expect(result.redriven).toEqual([]);
    expect(result.skipped[0]?.why).toBe('payload was cut to fit the dead-letter topic (3145728 bytes); the original is at notify.inbound-sms.v1[2]@41');
  });

  it('refuses already redriven and too often redriven letters unless forced', async () => {
    const result = await redrive(noBroker, [letter({ redriven: true }), letter({ redriveCount: 3 })]);
    expect(result.skipped.map((s) => s.why)).toEqual(['already redriven', 'failed after 3 redrives']);
  });
});
