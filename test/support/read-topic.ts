import { createKafka } from '@notify-stats/kafka';
import { createLogger } from '@notify-stats/runtime';
import { randomUUID } from 'node:crypto';

export interface ReadMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string | undefined>;
  partition: number;
  offset: string;
}

/** Reads a topic from the beginning until `expected` messages arrived and no more came for `settleMs`. */
export async function readTopic(brokers: string[], topic: string, expected: number, settleMs = 1500): Promise<ReadMessage[]> {
  const logger = createLogger('read-topic');
  logger.level = 'error';
  const consumer = createKafka(brokers, 'notify-stats-test-reader', logger).consumer({ groupId: `reader-${randomUUID()}` });
  const out: ReadMessage[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message, partition }) => {
      lastArrival = Date.now();
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = v?.toString();
      out.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers, partition, offset: message.offset });
    },
  });
  // Wait for the expected count, then a little longer so that extra (doubled) messages show up too.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (out.length < expected || Date.now() - lastArrival < settleMs)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  return out;
}
