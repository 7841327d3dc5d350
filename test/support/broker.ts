import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalKafka, startLocalKafkaCluster, type LocalKafka } from '@notify-stats/local-kafka';
import { testBackend } from './backend.ts';

export interface TestBroker {
  brokers: string[];
  local?: LocalKafka;
  stop(): Promise<void>;
}

/** A Kafka cluster a test can break: nodes killed, stopped and started again by KRaft node id. */
export interface TestCluster {
  brokers: string[];
  nodeIds: readonly number[];
  /** SIGKILL: no controlled shutdown. */
  kill(nodeId: number): Promise<void>;
  /** A controlled shutdown. */
  stopNode(nodeId: number): Promise<void>;
  /** Starts a killed or stopped node again (same address and data) and waits until it is live. */
  startNode(nodeId: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A fresh single-node broker per test file, so topics (whose names the contract fixes) start
 * empty for every file. KAFKA_BROKERS points the suite at an existing cluster instead; with the
 * containers backend (support/backend.ts) it is a three-broker cluster of containers.
 */
export async function startTestBroker(): Promise<TestBroker> {
  if (process.env.KAFKA_BROKERS) {
    return { brokers: process.env.KAFKA_BROKERS.split(','), stop: async () => undefined };
  }
  if ((await testBackend()) === 'containers') {
    const cluster = await startTestCluster();
    return { brokers: cluster.brokers, stop: () => cluster.stop() };
  }
  const local = await startLocalKafka({ dataDir: tempDir('kafka'), port: 0 });
  return { brokers: local.brokers, local, stop: () => local.stop() };
}

/** A fresh three-node KRaft cluster: local JVMs on loopback, or containers with that backend. */
export async function startTestCluster(nodes = 3): Promise<TestCluster> {
  if ((await testBackend()) === 'containers') {
    const { startContainerCluster } = await import('./containers.ts');
    return startContainerCluster(nodes);
  }
  // A node restarted after a SIGKILL first recovers its logs: on a loaded machine that can take minutes.
  const cluster = await startLocalKafkaCluster({ dataDir: tempDir('kafka-cluster'), nodes, heap: '256m', startTimeoutMs: 240_000 });
  return { ...cluster, nodeIds: cluster.nodes.map((n) => n.nodeId) };
}

export const tempDir = (name: string) => mkdtempSync(path.join(tmpdir(), `notify-stats-${name}-`));
