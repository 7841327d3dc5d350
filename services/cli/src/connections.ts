import path from 'node:path';
import { migrate, openClickhouse, topologyFromEnv, type Clickhouse } from '@notify-stats/clickhouse';
import type { IngestDeps, IngestEnv } from '@notify-stats/ingest';
import { createKafka, replicationFromEnv, type Kafka } from '@notify-stats/kafka';
import { startLocalKafka, startLocalKafkaCluster } from '@notify-stats/local-kafka';
import type { Logger } from '@notify-stats/runtime';
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

/** The ingest settings both `ingest` and `start` take from the environment. */
export function ingestSettings(env: IngestEnv): Omit<IngestDeps, 'kafka' | 'clickhouse' | 'logger'> {
  return {
    partitions: env.KAFKA_TOPIC_PARTITIONS,
    replication: replicationFromEnv(env),
    rejectServices: env.INGEST_REJECT_SERVICES,
    sessionTimeoutMs: env.INGEST_SESSION_TIMEOUT_MS,
    stallAfterMs: env.INGEST_STALL_AFTER_MS,
    stuckAfterMs: env.INGEST_STUCK_AFTER_MS,
    metadataMaxAgeMs: env.INGEST_METADATA_MAX_AGE_MS,
  };
}
