import type { Admin } from 'kafkajs';
import { DLQ_TOPICS, SOURCE_TOPICS } from '@notify-stats/events';
import { consumerLag, type PartitionLag } from './offsets.ts';

export interface KafkaStatus {
  groupId: string;
  members: number;
  partitions: PartitionLag[];
  totalLag: number;
  /** Messages held by each DLQ topic (retention aside). */
  deadLetters: Record<string, number>;
}

/** What the broker knows of the pipeline: the ingest group's progress and the dead letters. */
export async function kafkaStatus(admin: Admin, groupId: string): Promise<KafkaStatus> {
  const existing = new Set(await admin.listTopics());
  const sources = SOURCE_TOPICS.filter((t) => existing.has(t));
  const [partitions, groups] = await Promise.all([
    sources.length ? consumerLag(admin, groupId, sources) : Promise.resolve([]),
    admin.describeGroups([groupId]),
  ]);
  const deadLetters: Record<string, number> = {};
  for (const topic of DLQ_TOPICS.filter((t) => existing.has(t))) {
    deadLetters[topic] = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  }
  return {
    groupId,
    members: groups.groups[0]?.members.length ?? 0,
    partitions,
    totalLag: partitions.reduce((n, p) => n + p.lag, 0),
    deadLetters,
  };
}
