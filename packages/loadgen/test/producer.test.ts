import { describe, expect, it } from 'vitest';
import type { Kafka, ProducerBatch } from 'kafkajs';
import { TOPICS, decodeMessage } from '@notify-stats/events';
import { ProduceError, generateAll, produce } from '../src/index.ts';

/** A stand-in for kafkajs: records what is sent, acknowledges after `delayMs`, fails on demand. */
function fakeKafka(opts: { delayMs?: number; failAfter?: number; topics?: string[]; partitions?: number; leaderlessAnswers?: number } = {}) {
  const sent: ProducerBatch[] = [];
  let sends = 0;
  let metadataAnswers = 0;
  let topicLists = 0;
  const topics = opts.topics ?? [TOPICS.referenceData, TOPICS.notificationStatus, TOPICS.letterDespatch];
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => (topicLists++, topics),
      // The first `leaderlessAnswers` answers have partitions past the sixth without a leader
      // yet, as a broker answers right after the topic grew.
      fetchTopicMetadata: async ({ topics: wanted }: { topics: string[] }) => {
        const leaderless = ++metadataAnswers <= (opts.leaderlessAnswers ?? 0);
        const partitions = Array.from({ length: opts.partitions ?? 6 }, (_, i) => ({ partitionId: i, leader: leaderless && i >= 6 ? -1 : i % 3 }));
        return { topics: wanted.map((name) => ({ name, partitions })) };
      },
    }),
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: async (batch: ProducerBatch) => {
        const n = ++sends;
        await new Promise((r) => setTimeout(r, opts.delayMs ?? 1));
        if (opts.failAfter !== undefined && n > opts.failAfter) throw new Error('broker went away');
        sent.push(batch);
        // As kafkajs answers: one record per topic-partition written (send-fully.ts checks them).
        return batch.topicMessages!.flatMap((t) => [...new Set(t.messages.map((m) => m.partition))].map((partition) => ({ topicName: t.topic, partition, errorCode: 0 })));
      },
    }),
  } as unknown as Kafka;
  const messages = () => sent.flatMap((b) => b.topicMessages!.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, ...m }))));
  return { kafka, sent, messages, metadataAnswers: () => metadataAnswers, topicLists: () => topicLists };
}

const options = { count: 5000, services: 4, seed: 17, days: 3, endDay: '2024-09-30', lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.01, threads: 0 };

describe('produce (on the calling thread, against a fake kafkajs)', () => {
  it('sends the whole stream, keyed, partitioned, reference data first, and tallies it', async () => {
    const fake = fakeKafka();
    const progress: number[] = [];
    const result = await produce(fake.kafka, { ...options, batchSize: 700, inFlight: 4 }, (p) => progress.push(p.acknowledged));
    const expected = generateAll(options);
    expect(result.tally).toEqual(expected.tally);
    expect(result.acknowledged).toBe(5000);
    expect(result.aborted).toBe(false);
    expect(progress.at(-1)).toBe(5000);
    const sent = fake.messages();
    expect(sent).toHaveLength(5000);
    const reference = expected.messages.filter((m) => m.kind === 'reference').length;
    expect(fake.sent[0]!.topicMessages!.map((t) => t.topic)).toEqual([TOPICS.referenceData]);
    expect(sent.slice(0, reference).every((m) => m.topic === TOPICS.referenceData)).toBe(true);
    for (const m of sent) {
      expect(m.partition).toBeGreaterThanOrEqual(0);
      expect(m.partition).toBeLessThan(6);
      const d = decodeMessage(m.topic as never, m.key as Buffer, m.value as Buffer);
      if (d.kind === 'status' || d.kind === 'despatch') expect((m.key as Buffer).toString()).toBe(d.event.notification_id);
    }
    expect(fake.sent.every((b) => b.acks === -1)).toBe(true);
  });

  it('stops after the sends in flight when aborted, and tallies only what was acknowledged', async () => {
    const fake = fakeKafka({ delayMs: 20 });
    const abort = new AbortController();
    const result = await produce(fake.kafka, { ...options, batchSize: 200, inFlight: 2 }, (p) => p.acknowledged >= 1000 && abort.abort(), abort.signal);
    expect(result.aborted).toBe(true);
    expect(result.acknowledged).toBe(fake.messages().length);
    expect(result.acknowledged).toBeGreaterThanOrEqual(1000);
    expect(result.acknowledged).toBeLessThan(5000);
    expect(result.tally.messages.total).toBe(result.acknowledged);
  });

  it('reports a failed send with the tally of what was acknowledged before', async () => {
    const fake = fakeKafka({ failAfter: 3 });
    const err = await produce(fake.kafka, { ...options, batchSize: 500, inFlight: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProduceError);
    expect((err as ProduceError).message).toMatch(/broker went away/);
    expect((err as ProduceError).result.acknowledged).toBe(fake.messages().length);
  });

  it('paces to the rate', async () => {
    const fake = fakeKafka();
    const started = Date.now();
    const result = await produce(fake.kafka, { ...options, count: undefined, rate: 2000, duration: 0.5 });
    expect(result.acknowledged).toBe(1000);
    // 1000 messages at 2000/s, the first batch (100) from the initial burst: at least ~0.45 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(fake.sent.every((b) => b.topicMessages!.reduce((a, t) => a + t.messages.length, 0) <= 100)).toBe(true);
  });

  it('says which topics are missing, without asking again', async () => {
    const fake = fakeKafka({ topics: [TOPICS.referenceData] });
    await expect(produce(fake.kafka, options)).rejects.toThrow(/notify.notification-status.v1, notify.letter-despatch.v1 do not exist/);
    expect(fake.topicLists()).toBe(1);
  });

  it('waits until every partition of a grown topic has a leader, then spreads the stream over all of them', async () => {
    const fake = fakeKafka({ partitions: 9, leaderlessAnswers: 2 });
    const result = await produce(fake.kafka, options);
    expect(fake.metadataAnswers()).toBe(3);
    expect(result.partitions).toEqual({ [TOPICS.referenceData]: 9, [TOPICS.notificationStatus]: 9, [TOPICS.letterDespatch]: 9 });
    const used = new Set(fake.messages().filter((m) => m.topic === TOPICS.notificationStatus).map((m) => m.partition));
    expect([...used].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
