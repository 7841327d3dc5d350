import path from 'node:path';
import { migrate, openClickhouse, topologyFromEnv, type Clickhouse } from '@notify-stats/clickhouse';
import { createKafka, type Kafka } from '@notify-stats/kafka';
import { startLocalKafka, type LocalKafka } from '@notify-stats/local-kafka';
import type { Logger } from '@notify-stats/runtime';
import { clickhousePathOf, type IngestEnv } from './env.ts';

type Env = Pick<IngestEnv, 'CLICKHOUSE_URL' | 'CLICKHOUSE_PATH' | 'CLICKHOUSE_CLUSTER' | 'DATA_DIR'>;

/** Opens ClickHouse (server or embedded) and brings its schema up to date. */
export async function openMigratedClickhouse(env: Env, logger: Logger): Promise<Clickhouse> {
  const ch = await openClickhouse({ url: env.CLICKHOUSE_URL, path: clickhousePathOf(env), topology: topologyFromEnv(env) });
  const result = await migrate(ch.client, undefined, ch.topology);
  logger.info({ mode: ch.mode, location: ch.location, applied: result.applied }, 'clickhouse ready');
  return ch;
}

export interface Brokers {
  brokers: string[];
  local?: LocalKafka;
}

/** KAFKA_BROKERS if set, else the project's own single-node broker under DATA_DIR/kafka. */
export async function kafkaBrokers(env: Pick<IngestEnv, 'KAFKA_BROKERS' | 'DATA_DIR'>, logger: Logger): Promise<Brokers> {
  if (env.KAFKA_BROKERS) return { brokers: env.KAFKA_BROKERS };
  const local = await startLocalKafka({
    dataDir: path.join(env.DATA_DIR, 'kafka'),
    port: 9092,
    log: (msg) => logger.info(msg),
  });
  return { brokers: local.brokers, local };
}

export function kafkaClient(brokers: string[], env: Pick<IngestEnv, 'KAFKA_CLIENT_ID'>, logger: Logger): Kafka {
  return createKafka(brokers, env.KAFKA_CLIENT_ID, logger.child({ component: 'kafkajs' }));
}
