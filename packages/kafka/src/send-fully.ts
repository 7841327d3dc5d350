import type { CompressionTypes, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import { backoffMs, sleep } from '@notify-stats/runtime/retry';

export interface FullBatch {
  topicMessages: TopicMessages[];
  acks: number;
  compression: CompressionTypes;
}

const key = (topic: string, partition: number | undefined) => `${topic}\u0000${String(partition)}`;

/**
 * kafkajs 2.2.4 can resolve sendBatch without having sent some partitions' messages: when a
 * send is retried after a leader change, it skips every broker that answered the first attempt,
 * even where one of them now leads a partition whose messages went to the dead leader
 * (tulios/kafkajs#1303; the fix, #1798, is unreleased). The answer then lacks those partitions.
 * Seen on the three-broker cluster: a leader SIGKILLed under acks=all left Kafka 137 status
 * messages short of what the load generator counted as acknowledged.
 *
 * This sends the messages of every partition missing from the answer again, until each
 * partition targeted has answered without error. A message may be written twice (the pipeline
 * absorbs that: event_id), but none is counted as acknowledged without an answer. Every message
 * must name its partition.
 *
 * kafkajs also skips, without a word, a partition its metadata does not know yet (one just added
 * to the topic, where the sender's count came from a broker that knew it first). So the rounds
 * are spaced (0.1 s doubling to 2 s, about 11 s over ten rounds): long enough for the producer's
 * metadata to be refreshed (the load generator's producers refresh it every 5 s,
 * `loadgenProducer` in packages/loadgen/src/send-loop.ts).
 *
 * Used by the load generator and by the dead-letter redrive (dlq.ts).
 */
export async function sendBatchFully(
  producer: Pick<Producer, 'sendBatch'>,
  batch: FullBatch,
  { maxRounds = 10, pause = (round: number) => sleep(backoffMs(round, { baseMs: 100, maxMs: 2_000 })) }: { maxRounds?: number; pause?: ((round: number) => Promise<void>) | undefined } = {},
): Promise<void> {
  let pending = batch.topicMessages;
  for (let round = 1; pending.length > 0; round++) {
    if (round > maxRounds) {
      const missing = pending.map((t) => `${t.topic}[${[...new Set(t.messages.map((m) => m.partition))].join(',')}]`).join(' ');
      throw new Error(`Kafka did not acknowledge ${missing} after ${maxRounds} sends`);
    }
    if (round > 1) await pause(round - 1);
    const answers: RecordMetadata[] = await producer.sendBatch({ ...batch, topicMessages: pending });
    const answered = new Set(answers.filter((a) => a.errorCode === 0).map((a) => key(a.topicName, a.partition)));
    pending = pending
      .map(({ topic, messages }) => {
        if (messages.some((m) => m.partition === undefined)) throw new Error(`a message to ${topic} names no partition: its acknowledgement could not be checked`);
        return { topic, messages: messages.filter((m) => !answered.has(key(topic, m.partition))) };
      })
      .filter((t) => t.messages.length > 0);
  }
}
