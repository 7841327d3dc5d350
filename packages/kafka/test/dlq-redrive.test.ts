// redrive's refusals, decided before any broker is asked, and what it counts as redriven.
import { Partitioners, type Kafka, type PartitionMetadata, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { REDRIVEN_TOPIC, redrive, type DeadLetter } from '../src/dlq.ts';

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

const partitionsOf = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 1, replicas: [1], isr: [1] }));

/**
 * A cluster whose source topic has 6 partitions, and whose producer answers `sendBatch` as
 * kafkajs 2.2.4 does after a leader change: its first answer leaves out (and did not write) the
 * partitions in `dropFirst`. `answer` false: no partition is ever acknowledged.
 */
function fakeKafka({ dropFirst = new Set<number>(), answer = true } = {}) {
  const written: Array<{ call: number; topic: string; partition: number | undefined; key: string; value: string }> = [];
  let calls = 0;
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      listTopics: async () => ['notify.inbound-sms.v1', REDRIVEN_TOPIC],
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({ topics: topics.map((name) => ({ name, partitions: partitionsOf(name === REDRIVEN_TOPIC ? 1 : 6) })) }),
    }),
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
        calls++;
        const answers: RecordMetadata[] = [];
        for (const { topic, messages } of batch.topicMessages ?? []) {
          for (const partition of new Set(messages.map((m) => m.partition))) {
            if (!answer || (calls === 1 && dropFirst.has(partition as number))) continue;
            for (const m of messages.filter((x) => x.partition === partition)) written.push({ call: calls, topic, partition, key: String(m.key), value: String(m.value) });
            answers.push({ topicName: topic, partition: partition as number, errorCode: 0 });
          }
        }
        return answers;
      },
    }),
  } as unknown as Kafka;
  return { kafka, written };
}

// Letters whose keys spread over the source topic's partitions.
const letters = Array.from({ length: 12 }, (_, i) => letter({ id: `notify.inbound-sms.v1.dlq:0:${i}`, key: Buffer.from(`notification-${i}`), value: Buffer.from(`{"n":${i}`), sourceOffset: String(i) }));
const noPause = async () => undefined;

describe('redrive', () => {
  it('counts a letter as redriven only once its partition acknowledged it, sending again what a first answer left out', async () => {
    const defaultPartition = Partitioners.DefaultPartitioner();
    const partitionOf = (key: string) => defaultPartition({ topic: 'notify.inbound-sms.v1', partitionMetadata: partitionsOf(6), message: { key, value: null } });
    const dropped = partitionOf('notification-0');
    const { kafka, written } = fakeKafka({ dropFirst: new Set([dropped]) });

    const result = await redrive(kafka, letters, { pause: noPause });

    expect(result.redriven).toHaveLength(12);
    const republished = written.filter((w) => w.topic === 'notify.inbound-sms.v1');
    // Every letter on its source topic, on the partition Kafka's default partitioner gives its key.
    expect(republished.map((w) => w.value).sort()).toEqual(letters.map((l) => String(l.value)).sort());
    for (const w of republished) expect(w.partition).toBe(partitionOf(w.key));
    expect(republished.filter((w) => w.partition === dropped).every((w) => w.call === 2)).toBe(true);
    // The marks go out after the last letter is acknowledged.
    const marks = written.filter((w) => w.topic === REDRIVEN_TOPIC);
    expect(marks.map((w) => w.key).sort()).toEqual(letters.map((l) => l.id).sort());
    expect(Math.min(...marks.map((w) => w.call))).toBeGreaterThan(Math.max(...republished.map((w) => w.call)));
  });

  it('fails, and marks nothing redriven, when the letters are never acknowledged', async () => {
    const { kafka, written } = fakeKafka({ answer: false });
    await expect(redrive(kafka, letters, { pause: noPause })).rejects.toThrow(/Kafka did not acknowledge notify\.inbound-sms\.v1\[/);
    expect(written.filter((w) => w.topic === REDRIVEN_TOPIC)).toEqual([]);
  });
});
