import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { DLQ_TOPICS, SOURCE_TOPICS, TOPICS } from '@notify-stats/events';
import type { KafkaEnv } from '@notify-stats/runtime';

/** How the pipeline's topics are replicated: KAFKA_TOPIC_REPLICATION_FACTOR, KAFKA_TOPIC_MIN_INSYNC_REPLICAS. */
export interface TopicReplication {
  replicationFactor: number;
  /** Replicas that must have a write before an acks=all producer is answered. */
  minInsyncReplicas: number;
}

/**
 * The defaults for a cluster of `brokers`: three copies where there are three brokers, and a
 * write acknowledged by two of them, so that one broker can be lost (or stopped for an upgrade)
 * without losing an acknowledged message or refusing writes. A single broker gets 1 and 1.
 * Explicit settings win, but never beyond what the cluster can hold.
 */
export function replicationFor(brokers: number, wanted: Partial<TopicReplication> = {}): TopicReplication {
  const replicationFactor = wanted.replicationFactor ?? Math.min(3, Math.max(1, brokers));
  if (replicationFactor > brokers) {
    throw new Error(`KAFKA_TOPIC_REPLICATION_FACTOR ${replicationFactor} needs at least as many brokers; the cluster has ${brokers}`);
  }
  const minInsyncReplicas = wanted.minInsyncReplicas ?? Math.min(2, replicationFactor);
  if (minInsyncReplicas > replicationFactor) {
    throw new Error(`KAFKA_TOPIC_MIN_INSYNC_REPLICAS ${minInsyncReplicas} is more than the replication factor ${replicationFactor}: no write could ever be acknowledged`);
  }
  return { replicationFactor, minInsyncReplicas };
}

/** KAFKA_TOPIC_REPLICATION_FACTOR and KAFKA_TOPIC_MIN_INSYNC_REPLICAS; what is unset follows the cluster. */
export function replicationFromEnv(env: Pick<KafkaEnv, 'KAFKA_TOPIC_REPLICATION_FACTOR' | 'KAFKA_TOPIC_MIN_INSYNC_REPLICAS'>): Partial<TopicReplication> {
  return {
    ...(env.KAFKA_TOPIC_REPLICATION_FACTOR ? { replicationFactor: env.KAFKA_TOPIC_REPLICATION_FACTOR } : {}),
    ...(env.KAFKA_TOPIC_MIN_INSYNC_REPLICAS ? { minInsyncReplicas: env.KAFKA_TOPIC_MIN_INSYNC_REPLICAS } : {}),
  };
}

/** The replication suited to the cluster the admin client reaches. */
export async function clusterReplication(admin: Admin, wanted: Partial<TopicReplication> = {}): Promise<TopicReplication> {
  const { brokers } = await admin.describeCluster();
  return replicationFor(brokers.length, wanted);
}

/** Every topic the pipeline reads or writes, as it should be created when missing. */
export function topicConfigs(partitions: number, replication: TopicReplication = { replicationFactor: 1, minInsyncReplicas: 1 }): ITopicConfig[] {
  const { replicationFactor } = replication;
  const minInsync = { name: 'min.insync.replicas', value: String(replication.minInsyncReplicas) };
  const configs: ITopicConfig[] = SOURCE_TOPICS.map((topic) => ({
    topic,
    numPartitions: partitions,
    replicationFactor,
    // Reference data is keyed by identity: compaction keeps the newest value of each key forever.
    configEntries: topic === TOPICS.referenceData ? [{ name: 'cleanup.policy', value: 'compact' }, minInsync] : [minInsync],
  }));
  for (const topic of DLQ_TOPICS) configs.push({ topic, numPartitions: 1, replicationFactor, configEntries: [minInsync] });
  return configs;
}

/**
 * Creates the missing topics, replicated as suits the cluster (or as `replication` says);
 * existing ones are left as they are (their partition counts and replication included).
 */
export async function ensureTopics(admin: Admin, partitions: number, replication: Partial<TopicReplication> = {}): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  if ([...SOURCE_TOPICS, ...DLQ_TOPICS].every((t) => existing.has(t))) return [];
  const missing = topicConfigs(partitions, await clusterReplication(admin, replication)).filter((t) => !existing.has(t.topic));
  // kafkajs's waitForLeaders asks one broker and gives up when that one has not heard of the
  // topic yet (UNKNOWN_TOPIC_OR_PARTITION), which a cluster's other nodes answer for a moment.
  await admin.createTopics({ topics: missing, waitForLeaders: false });
  await replicasInSync(admin, missing.map((t) => t.topic));
  return missing.map((t) => t.topic);
}

/**
 * True when every partition of `topics` has a leader and all its replicas in sync, as each broker
 * of the cluster sees it: a client asks whichever broker it likes, so all of them must know.
 */
export async function replicasInSyncEverywhere(admin: Admin, topics: string[]): Promise<boolean> {
  const { brokers } = await admin.describeCluster();
  for (const broker of brokers) {
    // A client that knows only this broker asks it, and no other, for the metadata.
    const probe = new Kafka({ clientId: 'notify-stats-topics', brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    try {
      await probe.connect();
      const { topics: metadata } = await probe.fetchTopicMetadata({ topics });
      if (!metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length))) return false;
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  }
  return true;
}

/** Waits until replicasInSyncEverywhere holds for `topics`. */
export async function replicasInSync(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'some partitions have no leader or a replica out of sync';
  while (Date.now() < deadline) {
    try {
      if (await replicasInSyncEverywhere(admin, topics)) return;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`topics ${topics.join(', ')} were created but not all their replicas were in sync after ${timeoutMs} ms: ${String(last)}`);
}
