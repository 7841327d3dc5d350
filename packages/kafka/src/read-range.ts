import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

/**
 * Reads what a topic holds now: every message from the log start up to the end offsets taken
 * when the read began (later arrivals are left for the next read). Uses a throwaway group that
 * commits nothing and is deleted afterwards.
 */
export async function readTopicSnapshot(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `notify-stats-reader-${randomUUID()}`;
  try {
    const bounds = (await admin.fetchTopicOffsets(topic)).filter((b) => Number(b.high) > Number(b.low));
    if (bounds.length === 0) return [];
    const remaining = new Map(bounds.map((b) => [b.partition, Number(b.high)]));
    const records: ReadRecord[] = [];
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || Number(message.offset) >= end) return;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
          records.push({ topic, partition, offset: message.offset, key: message.key, value: message.value, headers, timestamp: message.timestamp });
          if (Number(message.offset) >= end - 1) remaining.delete(partition);
          if (remaining.size === 0) done();
        },
      });
      const timer = setTimeout(done, timeoutMs);
      await finished;
      clearTimeout(timer);
      if (remaining.size) throw new Error(`read of ${topic} timed out with ${remaining.size} partition(s) unfinished`);
    } finally {
      await consumer.disconnect();
    }
    return records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
