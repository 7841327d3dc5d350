import path from 'node:path';
import { migrate, openClickhouse, topologyFromEnv, type Clickhouse } from '@notify-stats/clickhouse';
import { createKafka, type Kafka } from '@notify-stats/kafka';
import { startLocalKafka, startLocalKafkaCluster } from '@notify-stats/local-kafka';
import type { Logger, Shutdown } from '@notify-stats/runtime';
import { clickhousePathOf, type ConnectionsEnv } from './env.ts';

type Env = Pick<ConnectionsEnv, 'CLICKHOUSE_URL' | 'CLICKHOUSE_PATH' | 'CLICKHOUSE_CLUSTER' | 'DATA_DIR'>;

/** Opens ClickHouse (server or embedded) and brings its schema up to date. */
export async function openMigratedClickhouse(env: Env, logger: Logger): Promise<Clickhouse> {
  const ch = await openClickhouse({ url: env.CLICKHOUSE_URL, path: clickhousePathOf(env), topology: topologyFromEnv(env) });
  const result = await migrate(ch.client, undefined, ch.topology);
  logger.info({ mode: ch.mode, location: ch.location, applied: result.applied }, 'clickhouse ready');
  return ch;
}

export interface Brokers {
  brokers: string[];
  /** The broker or cluster started here, stopped with the process. */
  local?: { dataDir: string; stop(): Promise<void> };
}

/**
 * KAFKA_BROKERS if set, else the project's own single-node broker under DATA_DIR/kafka, or with
 * KAFKA_NODES=N a local N-node cluster under DATA_DIR/kafka-cluster on ports 9092.. 9092+N-1.
 */
export async function kafkaBrokers(env: Pick<ConnectionsEnv, 'KAFKA_BROKERS' | 'KAFKA_NODES' | 'DATA_DIR'>, logger: Logger): Promise<Brokers> {
  if (env.KAFKA_BROKERS) return { brokers: env.KAFKA_BROKERS };
  if (env.KAFKA_NODES > 1) {
    const cluster = await startLocalKafkaCluster({
      dataDir: path.join(env.DATA_DIR, 'kafka-cluster'),
      nodes: env.KAFKA_NODES,
      basePort: 9092,
      log: (msg) => logger.info(msg),
    });
    return { brokers: cluster.brokers, local: cluster };
  }
  const local = await startLocalKafka({
    dataDir: path.join(env.DATA_DIR, 'kafka'),
    port: 9092,
    log: (msg) => logger.info(msg),
  });
  return { brokers: local.brokers, local };
}

export function kafkaClient(brokers: string[], env: Pick<ConnectionsEnv, 'KAFKA_CLIENT_ID'>, logger: Logger): Kafka {
  return createKafka(brokers, env.KAFKA_CLIENT_ID, logger.child({ component: 'kafkajs' }));
}

/**
 * What a process opens once for the services it runs, each registered on `shutdown` right away:
 * the broker (a local one when KAFKA_BROKERS is unset), ClickHouse with its schema up to date,
 * and the Kafka client.
 */
export async function openResources(env: ConnectionsEnv, logger: Logger, shutdown: Shutdown) {
  const { brokers, local } = await kafkaBrokers(env, logger);
  if (local) shutdown.add('local kafka', () => local.stop());
  const ch = await openMigratedClickhouse(env, logger);
  shutdown.add('clickhouse', () => ch.close());
  return { brokers, local, ch, kafka: kafkaClient(brokers, env, logger) };
}
