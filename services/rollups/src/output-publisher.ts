import { createHash, randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { clusterReplication } from '@notify-stats/kafka';

/**
 * The id of an output event, in UUID form, from what makes it the event it is: the same parts give
 * the same id, so a repeat after a stop can be recognised (by a consumer, or by `published`).
 */
export function stableEventId(parts: unknown): string {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Publishes events of one output topic (restatements, alerts: written for the platform, never
 * read back by the pipeline's processing), acknowledged by every in-sync replica. The topic is
 * created when missing (one partition: a few events a day), replicated as suits the cluster.
 * Each message carries its event's id in the `event-id` header.
 */
export class OutputPublisher<E> {
  private readonly producer: Producer;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly keyOf: (e: E) => string,
    private readonly idOf: (e: E) => string,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  private async start(): Promise<void> {
    if (!(await this.admin.listTopics()).includes(this.topic)) {
      const { replicationFactor, minInsyncReplicas } = await clusterReplication(this.admin);
      await this.admin.createTopics({
        topics: [{ topic: this.topic, numPartitions: 1, replicationFactor, configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }] }],
      });
    }
    await this.producer.connect();
  }

  publish = async (events: E[]): Promise<void> => {
    this.ready ??= this.start().catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    await this.ready;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: events.map((e) => ({ key: this.keyOf(e), value: JSON.stringify(e), headers: { 'event-id': this.idOf(e) } })),
    });
  };

  /**
   * Which of `ids` the topic holds: read from its start to its end by a consumer of a group of
   * its own (deleted after). Only for recovery after a stop between publishing and recording.
   */
  published = async (ids: readonly string[], timeoutMs = 120_000): Promise<Set<string>> => {
    const found = new Set<string>();
    if (!(await this.admin.listTopics()).includes(this.topic)) return found;
    const ends = new Map((await this.admin.fetchTopicOffsets(this.topic)).filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
    if (ends.size === 0) return found;
    const groupId = `notify-stats-output-check-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId });
    const wanted = new Set(ids);
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`could not read ${this.topic} to its end in ${timeoutMs} ms`)), timeoutMs);
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            const id = message.headers?.['event-id']?.toString();
            if (id && wanted.has(id)) found.add(id);
            if (Number(message.offset) + 1 >= (ends.get(partition) ?? 0)) ends.delete(partition);
            if (ends.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
      await this.admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return found;
  };

  async stop(): Promise<void> {
    if (this.ready) await this.producer.disconnect();
  }
}
