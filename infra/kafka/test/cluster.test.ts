import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSizeFromEnv, startLocalKafkaCluster, type LocalKafkaCluster } from '../src/index.ts';
import { internalTopicReplication, quorumVoters } from '../src/config.ts';
import { isListening } from '../src/ports.ts';

describe('startLocalKafkaCluster', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-kafka-cluster-test-'));
  let cluster: LocalKafkaCluster;
  const client = () => new Kafka({ clientId: 'cluster-test', brokers: cluster.brokers, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
  const liveNodeIds = async () => {
    const admin = client().admin();
    await admin.connect();
    try {
      return (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort();
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    cluster = await startLocalKafkaCluster({ dataDir, nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs three nodes, each with its own ports and data folder, in one quorum', async () => {
    expect(cluster.brokers).toHaveLength(3);
    const ports = cluster.nodes.flatMap((n) => [n.port, n.controllerPort]);
    expect(new Set(ports).size).toBe(6);
    expect(new Set(cluster.nodes.map((n) => n.dataDir)).size).toBe(3);
    expect(await liveNodeIds()).toEqual([1, 2, 3]);
    for (const node of cluster.nodes) {
      const props = readFileSync(join(node.dataDir, 'server.properties'), 'utf8');
      expect(props).toContain(`node.id=${node.nodeId}\n`);
      expect(props).toContain(`controller.quorum.voters=${cluster.nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',')}\n`);
      // Committed offsets are kept on three brokers, so that losing one loses none.
      expect(props).toContain('offsets.topic.replication.factor=3\n');
    }
  });

  it('keeps serving after a node is SIGKILLed, and takes it back on its own ports', async () => {
    const admin = client().admin();
    await admin.connect();
    // kafkajs's waitForLeaders asks any broker, and one that has not heard of the topic yet fails
    // it ("does not host this topic-partition"): wait for the metadata here instead.
    await admin.createTopics({ topics: [{ topic: 'replicated', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: false });
    // The other nodes learn of a new topic a moment after the one that created it.
    const replicaCounts = async () =>
      (await admin.fetchTopicMetadata({ topics: ['replicated'] })).topics[0]?.partitions.map((p) => (p.leader >= 0 ? p.replicas.length : 0));
    await expect.poll(() => replicaCounts().catch(() => []), { timeout: 15_000, interval: 250 }).toEqual([3, 3, 3]);
    await admin.disconnect();

    const victim = cluster.nodes[1]!;
    await cluster.kill(victim.nodeId);
    expect(cluster.running(victim.nodeId)).toBeUndefined();
    expect(await isListening(victim.port)).toBe(false);
    await expect.poll(liveNodeIds, { timeout: 30_000, interval: 500 }).toEqual([1, 3]);

    await cluster.startNode(victim.nodeId);
    expect(cluster.running(victim.nodeId)?.port).toBe(victim.port);
    await expect.poll(liveNodeIds, { timeout: 30_000, interval: 500 }).toEqual([1, 2, 3]);
  });

  it('stop() ends every node and closes every port', async () => {
    await cluster.stop();
    for (const node of cluster.nodes) {
      expect(cluster.running(node.nodeId)).toBeUndefined();
      expect(await isListening(node.port)).toBe(false);
    }
  });
});

describe('cluster settings', () => {
  it('lists the quorum by node id', () => {
    expect(quorumVoters(new Map([[2, 9102], [1, 9101]]))).toBe('1@127.0.0.1:9101,2@127.0.0.1:9102');
  });

  it('replicates the internal topics as the cluster allows', () => {
    expect(internalTopicReplication(1)).toEqual({ replicationFactor: 1, minInsync: 1 });
    expect(internalTopicReplication(2)).toEqual({ replicationFactor: 2, minInsync: 2 });
    expect(internalTopicReplication(5)).toEqual({ replicationFactor: 3, minInsync: 2 });
  });

  it('reads KAFKA_NODES, 1 when unset, and refuses nonsense', () => {
    expect(clusterSizeFromEnv({})).toBe(1);
    expect(clusterSizeFromEnv({ KAFKA_NODES: ' 3 ' })).toBe(3);
    expect(() => clusterSizeFromEnv({ KAFKA_NODES: 'three' })).toThrow('KAFKA_NODES must be a whole number from 1 to 9');
    expect(() => clusterSizeFromEnv({ KAFKA_NODES: '0' })).toThrow('KAFKA_NODES');
  });
});
