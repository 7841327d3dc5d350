import { describe, expect, it } from 'vitest';
import { DLQ_TOPICS, SOURCE_TOPICS } from '@notify-stats/events';
import { replicationFor, replicationFromEnv, topicConfigs } from '../src/index.ts';

describe('topic replication', () => {
  it('defaults to min(3, brokers) copies and min(2, copies) in sync', () => {
    expect(replicationFor(1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(replicationFor(2)).toEqual({ replicationFactor: 2, minInsyncReplicas: 2 });
    expect(replicationFor(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(replicationFor(7)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('takes explicit settings, but refuses what the cluster cannot hold', () => {
    expect(replicationFor(5, { replicationFactor: 5 })).toEqual({ replicationFactor: 5, minInsyncReplicas: 2 });
    expect(replicationFor(3, { minInsyncReplicas: 1 })).toEqual({ replicationFactor: 3, minInsyncReplicas: 1 });
    expect(() => replicationFor(1, { replicationFactor: 3 })).toThrow('KAFKA_TOPIC_REPLICATION_FACTOR 3 needs at least as many brokers; the cluster has 1');
    expect(() => replicationFor(3, { replicationFactor: 2, minInsyncReplicas: 3 })).toThrow('KAFKA_TOPIC_MIN_INSYNC_REPLICAS 3 is more than the replication factor 2');
  });

  it('reads the settings from the environment, leaving unset ones to the cluster', () => {
    expect(replicationFromEnv({ KAFKA_TOPIC_REPLICATION_FACTOR: undefined, KAFKA_TOPIC_MIN_INSYNC_REPLICAS: undefined })).toEqual({});
    expect(replicationFromEnv({ KAFKA_TOPIC_REPLICATION_FACTOR: 3, KAFKA_TOPIC_MIN_INSYNC_REPLICAS: undefined })).toEqual({ replicationFactor: 3 });
  });

  it('creates every topic with the replication factor and min.insync.replicas', () => {
    const configs = topicConfigs(6, { replicationFactor: 3, minInsyncReplicas: 2 });
    expect(configs.map((c) => c.topic).sort()).toEqual([...SOURCE_TOPICS, ...DLQ_TOPICS].sort());
    for (const c of configs) {
      expect(c.replicationFactor, c.topic).toBe(3);
      expect(c.configEntries, c.topic).toContainEqual({ name: 'min.insync.replicas', value: '2' });
    }
  });
});
