import type { Admin, Kafka, Producer } from 'kafkajs';
import { OUTPUT_TOPICS, type RestatementEvent } from '@notify-stats/events';
import { clusterReplication } from '@notify-stats/kafka';

/**
 * Publishes restatements to notify.stats-restatements.v1 (key: the day, so one day's events keep
 * their order), acknowledged by every in-sync replica before the baselines move on. The topic is
 * created when missing (one partition: a few events a day), replicated as suits the cluster.
 */
export class RestatementPublisher {
  private readonly producer: Producer;
  private ready: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  private async start(): Promise<void> {
    const topic = OUTPUT_TOPICS.restatements;
    if (!(await this.admin.listTopics()).includes(topic)) {
      const { replicationFactor, minInsyncReplicas } = await clusterReplication(this.admin);
      await this.admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor, configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }] }],
      });
    }
    await this.producer.connect();
  }

  publish = async (events: RestatementEvent[]): Promise<void> => {
    this.ready ??= this.start().catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    await this.ready;
    await this.producer.send({
      topic: OUTPUT_TOPICS.restatements,
      acks: -1,
      messages: events.map((e) => ({ key: e.day, value: JSON.stringify(e), headers: { 'restatement-id': e.restatement_id } })),
    });
  };

  async stop(): Promise<void> {
    if (this.ready) await this.producer.disconnect();
  }
}
