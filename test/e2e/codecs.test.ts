// Compressed batches through the real broker into the pipeline: status events produced by the
// Kafka project's own Java client (kafka-clients 3.9.1) with each compression.type, a topic the
// broker itself keeps zstd-compressed, and batches kafkajs compresses with our codecs (the broker
// decompresses those to validate them, with the Java libraries).
import { randomUUID } from 'node:crypto';
import kafkajs, { type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@notify-stats/clickhouse';
import { dlqTopicOf } from '@notify-stats/events';
import { codecUsage, createKafka, type CodecName } from '@notify-stats/kafka';
import { createLogger } from '@notify-stats/runtime';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, statusEvent, statusMessage } from '../support/events.ts';
import { JAVA_COMPRESSIONS, produceWithJava, type JavaCompression } from '../support/java-producer.ts';
import { startPipeline, type TestPipeline } from '../support/pipeline.ts';

const { CompressionTypes, ConfigResourceTypes } = kafkajs;

let broker: TestBroker;
let pipeline: TestPipeline;
let admin: Admin;

beforeAll(async () => {
  broker = await startTestBroker();
  const logger = createLogger('test');
  logger.level = 'error';
  admin = createKafka(broker.brokers, 'codecs-test-admin', logger).admin();
  await admin.connect();
  // Before the pipeline creates its topics (it leaves existing ones as they are): the broker
  // recompresses every batch of this one with zstd, whatever the producer sent.
  await admin.createTopics({
    topics: [{ topic: TOPICS.inboundSms, numPartitions: 6, replicationFactor: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] }],
    waitForLeaders: true,
  });
  pipeline = await startPipeline(broker.brokers);
});
afterAll(async () => {
  await admin?.disconnect();
  await pipeline?.stop();
  await broker?.stop();
});

async function countEvents(table: 'notification_events' | 'inbound_sms', ids: string[]): Promise<{ rows: number; distinct_events: number }> {
  const [row] = await queryRows<{ rows: number; distinct_events: number }>(
    pipeline.ch.client,
    `SELECT count() AS rows, uniqExact(event_id) AS distinct_events FROM ${table} FINAL WHERE event_id IN {ids:Array(UUID)}`,
    { ids },
  );
  return row as { rows: number; distinct_events: number };
}

async function expectReady(): Promise<void> {
  expect(pipeline.ingest.isReady()).toBe(true);
  const res = await pipeline.app.inject({ method: 'GET', url: '/readyz' });
  expect(res.statusCode, res.body).toBe(200);
}

async function deadLetters(): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(dlqTopicOf(TOPICS.notificationStatus));
  return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
}

/** Status events spread over April 2024; distinct ids, so each run's rows can be counted alone. */
const statusEvents = (n: number) => Array.from({ length: n }, (_, i) => statusEvent({ created_at: `2024-04-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00.000Z` }));

describe('status events from the Java producer (kafka-clients 3.9.1)', () => {
  it.each(JAVA_COMPRESSIONS)('compression.type=%s: every event is counted once and the pipeline stays ready', async (compression: JavaCompression) => {
    const events = statusEvents(3_000);
    const before = codecUsage();
    const { sent } = await produceWithJava({
      brokers: broker.brokers,
      topic: TOPICS.notificationStatus,
      compression,
      messages: events.map((e) => ({ key: String(e.notification_id), value: JSON.stringify(e) })),
    });
    expect(sent).toBe(3_000);
    await pipeline.waitForLagZero();

    expect(await countEvents('notification_events', events.map((e) => String(e.event_id)))).toEqual({ rows: 3_000, distinct_events: 3_000 });
    expect(await deadLetters()).toBe(0);
    await expectReady();
    // The batches really came compressed with that codec, and ours read them.
    const after = codecUsage();
    if (compression !== 'none') expect(after[compression].decompressedBatches).toBeGreaterThan(before[compression].decompressedBatches);
    else for (const c of ['gzip', 'snappy', 'lz4', 'zstd'] as const) expect(after[c].decompressedBatches).toBe(before[c].decompressedBatches);
  });
});

describe('a topic the broker keeps zstd-compressed (compression.type=zstd)', () => {
  const inbound = () => ({ event_id: randomUUID(), inbound_sms_id: randomUUID(), service_id: '00000000-0000-4000-8000-000000000001', created_at: '2024-04-20T09:30:00.000Z', provider: 'mmg' });

  it('is consumed: uncompressed from kafkajs and lz4 from Java, stored as zstd, all counted', async () => {
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPICS.inboundSms, configNames: ['compression.type'] }] });
    expect(described.resources[0]?.configEntries.find((c) => c.configName === 'compression.type')?.configValue).toBe('zstd');

    const fromKafkajs = Array.from({ length: 2_000 }, inbound);
    const fromJava = Array.from({ length: 2_000 }, inbound);
    const before = codecUsage();
    await pipeline.producer.send({ topic: TOPICS.inboundSms, acks: -1, messages: fromKafkajs.map((e) => ({ key: e.inbound_sms_id, value: JSON.stringify(e) })) });
    await produceWithJava({ brokers: broker.brokers, topic: TOPICS.inboundSms, compression: 'lz4', messages: fromJava.map((e) => ({ key: e.inbound_sms_id, value: JSON.stringify(e) })) });
    await pipeline.waitForLagZero();

    const ids = [...fromKafkajs, ...fromJava].map((e) => e.event_id);
    expect(await countEvents('inbound_sms', ids)).toEqual({ rows: 4_000, distinct_events: 4_000 });
    await expectReady();
    const after = codecUsage();
    expect(after.zstd.decompressedBatches).toBeGreaterThan(before.zstd.decompressedBatches);
    expect(after.lz4.decompressedBatches).toBe(before.lz4.decompressedBatches); // the broker recompressed Java's lz4
  });
});

describe('batches kafkajs compresses with our codecs', () => {
  const TYPES: Record<CodecName, number> = { gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD };

  it.each(Object.keys(TYPES) as CodecName[])('%s: the broker accepts them (it decompresses to validate) and every event is counted', async (codec) => {
    const events = statusEvents(2_000);
    const before = codecUsage();
    for (let i = 0; i < events.length; i += 500) {
      await pipeline.producer.send({ topic: TOPICS.notificationStatus, acks: -1, compression: TYPES[codec], messages: events.slice(i, i + 500).map((e) => statusMessage(e)) });
    }
    await pipeline.waitForLagZero();
    expect(await countEvents('notification_events', events.map((e) => String(e.event_id)))).toEqual({ rows: 2_000, distinct_events: 2_000 });
    await expectReady();
    const after = codecUsage();
    expect(after[codec].compressedBatches).toBeGreaterThan(before[codec].compressedBatches);
    expect(after[codec].decompressedBatches).toBeGreaterThan(before[codec].decompressedBatches);
  });
});
