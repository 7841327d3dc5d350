import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, dlqTopicOf } from '@notify-stats/events';
import { queryRows } from '@notify-stats/clickhouse';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, produce, statusEvent, statusMessage, type RawMessage } from '../support/events.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';
import { readTopic } from '../support/read-topic.ts';

let broker: TestBroker;
let pipeline: TestPipeline;

beforeAll(async () => {
  broker = await startTestBroker();
  pipeline = await startPipeline(broker.brokers);
});
afterAll(async () => {
  await pipeline?.stop();
  await broker?.stop();
});

describe('ingest of the status topic', () => {
  it('lands 10,000 distinct events once, despite 500 duplicates, and dead-letters 100 invalid messages', async () => {
    const valid = Array.from({ length: 10_000 }, (_, i) =>
      statusEvent({ created_at: `2024-04-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00.000Z` }),
    );
    const duplicates = valid.slice(0, 500);
    const invalid: RawMessage[] = [
      ...Array.from({ length: 40 }, (_, i) => ({ key: `bad-json-${i}`, value: `{"event_id": "${i}", ` })),
      ...Array.from({ length: 30 }, () => {
        const { event_id: _dropped, ...rest } = statusEvent();
        return statusMessage(rest);
      }),
      ...Array.from({ length: 30 }, () => statusMessage(statusEvent({ status: 'lost-in-the-post' }))),
    ];
    // Interleave so that invalid messages sit between valid ones on every partition.
    const messages: RawMessage[] = [];
    const all = [...valid.map(statusMessage), ...duplicates.map(statusMessage)];
    all.forEach((m, i) => {
      messages.push(m);
      if (i % 100 === 0 && invalid.length) messages.push(invalid.pop() as RawMessage);
    });
    messages.push(...invalid.splice(0));
    await produce(pipeline.producer, TOPICS.notificationStatus, messages);
    await pipeline.waitForLagZero();

    const [raw] = await queryRows<{ rows: number; distinct_events: number }>(
      pipeline.ch.client,
      'SELECT count() AS rows, uniqExact(event_id) AS distinct_events FROM notification_events FINAL',
    );
    expect(raw).toEqual({ rows: 10_000, distinct_events: 10_000 });

    const dead = await readTopic(broker.brokers, dlqTopicOf(TOPICS.notificationStatus), 100);
    expect(dead).toHaveLength(100);
    for (const m of dead) {
      expect(m.headers[DLQ_HEADERS.reason]?.length).toBeGreaterThan(0);
      expect(m.headers[DLQ_HEADERS.sourceTopic]).toBe(TOPICS.notificationStatus);
      expect(Number(m.headers[DLQ_HEADERS.sourceOffset])).toBeGreaterThanOrEqual(0);
      expect(m.headers[DLQ_HEADERS.sourcePartition]).toMatch(/^\d+$/);
    }
    const reasons = dead.map((m) => m.headers[DLQ_HEADERS.reason] ?? '');
    expect(reasons.filter((r) => r.startsWith('invalid JSON'))).toHaveLength(40);
    expect(reasons.filter((r) => r.includes('event_id'))).toHaveLength(30);
    expect(reasons.filter((r) => r.includes('status'))).toHaveLength(30);
  });

  it('reports every counted notification once in platform-stats', async () => {
    const produced = Date.now();
    await pipeline.waitForFacts(produced);
    const res = await pipeline.get('/platform-stats?start_date=2024-04-01&end_date=2024-04-30');
    expect(res.statusCode).toBe(200);
    expect(res.json().sms).toEqual({
      total: 10_000,
      delivered: 10_000,
      failed: 0,
      requested: 10_000,
      'technical-failure': 0,
      'temporary-failure': 0,
      'permanent-failure': 0,
    });
  });
});
