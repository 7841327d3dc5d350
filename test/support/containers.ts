// The containers backend (support/backend.ts): a three-broker KRaft cluster of Kafka containers
// and a ClickHouse server, through testcontainers. Used only where a Docker engine answers; it has
// not been run on the project's own machines, which have no Docker engine (docs/scaling.md).
import { ClickHouseContainer, type StartedClickHouseContainer } from '@testcontainers/clickhouse';
import { KafkaContainer, type StartedKafkaContainer } from '@testcontainers/kafka';
import { Network, getContainerRuntimeClient, type StartedNetwork } from 'testcontainers';
import { pickFreePorts, waitForBroker } from '@notify-stats/local-kafka';
import type { TestCluster } from './broker.ts';

const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.1';
const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:25.8';
/** The port KafkaContainer advertises to the host (its PLAINTEXT listener). */
const HOST_LISTENER = 9093;
const CONTROLLER = 9094;

/**
 * One node of a cluster: KafkaContainer's KRaft set-up, then the quorum of every node and the
 * replication of a three-broker cluster. The host port is fixed so that a node started again
 * keeps the address it advertises.
 */
class ClusterNodeContainer extends KafkaContainer {
  constructor(
    private readonly nodeId: number,
    private readonly voters: string,
    hostPort: number,
    network: StartedNetwork,
  ) {
    super(KAFKA_IMAGE);
    this.withKraft().withNetwork(network).withNetworkAliases(`kafka-${nodeId}`);
    this.exposedPorts = [{ container: HOST_LISTENER, host: hostPort }];
  }

  protected override async beforeContainerCreated(): Promise<void> {
    await super.beforeContainerCreated();
    const replication = String(Math.min(3, this.voters.split(',').length));
    this.withEnvironment({
      KAFKA_NODE_ID: String(this.nodeId),
      KAFKA_BROKER_ID: String(this.nodeId),
      KAFKA_CONTROLLER_QUORUM_VOTERS: this.voters,
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: replication,
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: replication,
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: String(Math.min(2, Number(replication))),
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    });
  }
}

export async function startContainerCluster(nodes: number): Promise<TestCluster> {
  const network = await new Network().start();
  const ports = await pickFreePorts(nodes);
  const ids = Array.from({ length: nodes }, (_, i) => i + 1);
  const voters = ids.map((id) => `${id}@kafka-${id}:${CONTROLLER}`).join(',');
  // Together: no node is ready before a majority of the quorum is up.
  const started: StartedKafkaContainer[] = await Promise.all(
    ids.map((id, i) => new ClusterNodeContainer(id, voters, ports[i] as number, network).start()),
  );
  const brokers = ports.map((port) => `127.0.0.1:${port}`);
  const client = await getContainerRuntimeClient();
  const dockerOf = (nodeId: number) => {
    const container = started[nodeId - 1];
    if (!container) throw new Error(`no node ${nodeId}`);
    return client.container.getById(container.getId());
  };
  return {
    brokers,
    nodeIds: ids,
    kill: async (nodeId) => {
      await dockerOf(nodeId).kill({ signal: 'SIGKILL' });
    },
    stopNode: async (nodeId) => {
      await dockerOf(nodeId).stop({ t: 30 });
    },
    startNode: async (nodeId) => {
      await dockerOf(nodeId).start();
      await waitForBroker(brokers[nodeId - 1] as string, nodeId, Date.now() + 120_000, () => undefined);
    },
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
      await network.stop();
    },
  };
}

let server: Promise<StartedClickHouseContainer> | undefined;
let databases = 0;

/**
 * A fresh database on this test process's ClickHouse server container, as a CLICKHOUSE_URL.
 * The server is started once per test file and removed by testcontainers' reaper afterwards.
 */
export async function containerClickhouseUrl(): Promise<string> {
  server ??= new ClickHouseContainer(CLICKHOUSE_IMAGE).start();
  const ch = await server;
  const database = `notify_stats_${process.pid}_${++databases}`;
  const created = await ch.exec(['clickhouse-client', '--user', ch.getUsername(), '--password', ch.getPassword(), '--query', `CREATE DATABASE ${database}`]);
  if (created.exitCode !== 0) throw new Error(`could not create ${database}: ${created.output}`);
  const url = new URL(ch.getConnectionUrl());
  url.pathname = `/${database}`;
  return url.toString();
}
