export { createKafka, Kafka } from './client.ts';
export { ensureTopics, topicConfigs } from './topics.ts';
export { endOffsets, committedOffsets, consumerLag, type PartitionLag } from './offsets.ts';

/** The ingest worker's consumer group: replay, status and the freshness watermark all refer to it. */
export const INGEST_GROUP_ID = 'notify-stats-ingest';
export { planRewind, applyRewind, activeMembers, type RewindPlan, type RewindFrom } from './rewind.ts';
