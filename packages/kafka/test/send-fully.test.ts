import { CompressionTypes, type Message, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { sendBatchFully } from '../src/send-fully.ts';

const msg = (partition: number, value: string): Message => ({ partition, value });

/** A producer whose first answer leaves out some partitions, as kafkajs 2.2.4 does after a leader change. */
function droppingProducer(dropFirst: Set<number>) {
  const sent: Array<{ topic: string; partition: number | undefined; value: string }> = [];
  let calls = 0;
  return {
    sent,
    calls: () => calls,
    sendBatch: async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
      calls++;
      const answers: RecordMetadata[] = [];
      for (const { topic, messages } of batch.topicMessages ?? []) {
        for (const partition of new Set(messages.map((m) => m.partition))) {
          if (calls === 1 && partition !== undefined && dropFirst.has(partition)) continue; // silently not sent
          for (const m of messages.filter((x) => x.partition === partition)) sent.push({ topic, partition, value: String(m.value) });
          answers.push({ topicName: topic, partition: partition ?? -1, errorCode: 0 });
        }
      }
      return answers;
    },
  };
}

describe('sendBatchFully', () => {
  const batch = (messages: Message[]) => ({ topicMessages: [{ topic: 't', messages }], acks: -1, compression: CompressionTypes.None });

  it('sends again the messages of partitions missing from the answer, and only those', async () => {
    const producer = droppingProducer(new Set([1]));
    await sendBatchFully(producer, batch([msg(0, 'a'), msg(1, 'b'), msg(1, 'c'), msg(2, 'd')]), { pause: async () => undefined });
    expect(producer.calls()).toBe(2);
    expect(producer.sent.map((s) => s.value).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sends once when every partition answered', async () => {
    const producer = droppingProducer(new Set());
    await sendBatchFully(producer, batch([msg(0, 'a'), msg(1, 'b')]));
    expect(producer.calls()).toBe(1);
  });

  it('fails, naming the partitions, when they are never acknowledged', async () => {
    const never = { sendBatch: async () => [] as RecordMetadata[] };
    const pauses: number[] = [];
    const pause = async (round: number) => void pauses.push(round);
    await expect(sendBatchFully(never, batch([msg(3, 'a')]), { maxRounds: 3, pause })).rejects.toThrow('Kafka did not acknowledge t[3] after 3 sends');
    // A pause between sends, for the producer's metadata to catch up; none after the last.
    expect(pauses).toEqual([1, 2]);
  });

  it('refuses messages without a partition, whose acknowledgement it could not check', async () => {
    await expect(sendBatchFully(droppingProducer(new Set()), batch([{ value: 'x' }]))).rejects.toThrow('names no partition');
  });
});
