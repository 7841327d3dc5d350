import type { Admin, ITopicConfig } from 'kafkajs';
import { DLQ_TOPICS, SOURCE_TOPICS, TOPICS } from '@notify-stats/events';

/** Every topic the pipeline reads or writes, as it should be created when missing. */
export function topicConfigs(partitions: number, replicationFactor = 1): ITopicConfig[] {
  const configs: ITopicConfig[] = SOURCE_TOPICS.map((topic) => ({
    topic,
    numPartitions: partitions,
    replicationFactor,
    // Reference data is keyed by identity: compaction keeps the newest value of each key forever.
    configEntries: topic === TOPICS.referenceData ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
  }));
  for (const topic of DLQ_TOPICS) configs.push({ topic, numPartitions: 1, replicationFactor });
  return configs;
}

/** Creates the missing topics; existing ones are left as they are (their partition counts included). */
export async function ensureTopics(admin: Admin, partitions: number, replicationFactor = 1): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topicConfigs(partitions, replicationFactor).filter((t) => !existing.has(t.topic));
  if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((t) => t.topic);
}
