export { createKafka, Kafka } from './client.ts';
export { CODEC_NAMES, CODEC_TYPES, codecUsage, registerCodecs, snappyFrame, snappyUnframe, type CodecName, type CodecUsage, type KafkaCodec } from './codecs.ts';
export { clusterReplication, ensureTopics, replicasInSync, replicasInSyncEverywhere, replicationFor, replicationFromEnv, topicConfigs, type TopicReplication } from './topics.ts';
export { endOffsets, committedOffsets, consumerLag, type PartitionLag } from './offsets.ts';

/** The ingest worker's consumer group: replay, status and the freshness watermark all refer to it. */
export const INGEST_GROUP_ID = 'notify-stats-ingest';
export { planRewind, applyRewind, activeMembers, type RewindPlan, type RewindFrom } from './rewind.ts';
export { readTopicSnapshot, type ReadRecord } from './read-range.ts';
export { kafkaStatus, type KafkaStatus } from './status.ts';
export { listDeadLetters, redrive, REDRIVEN_TOPIC, MAX_REDRIVES, type DeadLetter, type RedriveResult } from './dlq.ts';
export { DeadLetterCounter, type DeadLetterCount } from './dlq-count.ts';
