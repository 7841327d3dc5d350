import { apiFromEnv } from '@notify-stats/api';
import { migrate, openClickhouse, topologyFromEnv } from '@notify-stats/clickhouse';
import { ingestFromEnv, ingestOpsEnv, ingestReadiness } from '@notify-stats/ingest';
import { rollupsFromEnv, rollupsOpsEnv } from '@notify-stats/rollups';
import { Shutdown, createLogger, kafkaEnv, parseEnv, startOpsServer, type Logger, type ReadinessCheck } from '@notify-stats/runtime';
import { kafkaClient, openMigratedClickhouse, openResources } from '../connections.ts';
import { apiEnv, clickhousePathOf, connectionsEnv, ingestEnv, rollupsEnv } from '../env.ts';
import { DEFAULT_BROKERS } from '../kafka-cli.ts';
import { PipelineObserver } from '../ops/pipeline-observer.ts';

/** Runs `body` with a shutdown routine that Ctrl-C/SIGTERM trigger; a failed start undoes itself. */
async function runService(name: string, body: (shutdown: Shutdown, logger: Logger) => Promise<void>): Promise<void> {
  const logger = createLogger(name);
  const shutdown = new Shutdown(logger, 30_000);
  shutdown.installSignalHandlers();
  try {
    await body(shutdown, logger);
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    await shutdown.run('start-up failed').catch(() => undefined);
    throw err;
  }
}

/** The operations port of a service run alone: health, readiness (making progress) and metrics. */
async function serveOperations(shutdown: Shutdown, logger: Logger, ops: { METRICS_PORT: number; METRICS_HOST: string }, readiness: Record<string, ReadinessCheck>): Promise<void> {
  const server = await startOpsServer({ port: ops.METRICS_PORT, host: ops.METRICS_HOST, readiness, logger });
  shutdown.add('operations server', () => server.close());
}

/** The timer-sampled pipeline metrics (lag, dead letters, watermark), the same in every process. */
function observePipeline(shutdown: Shutdown, deps: ConstructorParameters<typeof PipelineObserver>[0]): PipelineObserver {
  const observer = new PipelineObserver(deps).start();
  shutdown.add('pipeline observer', () => observer.stop());
  return observer;
}

const clickhouseAnswers = (ch: { client: { ping(): Promise<{ success: boolean }> } }) => () => ch.client.ping().then((r) => r.success);

/** The ingest worker alone (how it runs in production, against a ClickHouse server). */
export const ingestCommand = () =>
  runService('ingest', async (shutdown, logger) => {
    const env = parseEnv(ingestEnv);
    const ops = parseEnv(ingestOpsEnv); // a bad METRICS_PORT is refused before anything starts
    const { ch, kafka } = await openResources(env, logger, shutdown);
    const ingest = await ingestFromEnv(env, { kafka, clickhouse: ch.client, logger });
    shutdown.add('ingest', () => ingest.stop());
    observePipeline(shutdown, { kafka, clickhouse: ch.client, logger });
    // Ready while it consumes and no partition's writes are stalled (ingestReadiness says which).
    await serveOperations(shutdown, logger, ops, { clickhouse: clickhouseAnswers(ch), ingest: () => ingestReadiness(ingest) });
  });

export const rollupsCommand = () =>
  runService('rollups', async (shutdown, logger) => {
    const env = parseEnv(rollupsEnv);
    const ops = parseEnv(rollupsOpsEnv);
    const { ch, kafka } = await openResources(env, logger, shutdown);
    const { rollups, observer } = await rollupsFromEnv(env, { clickhouse: ch.client, kafka, logger });
    shutdown.add('rollups', () => rollups.stop());
    observePipeline(shutdown, { kafka, clickhouse: ch.client, logger });
    // Ready while cycles keep succeeding (rollupsFromEnv says how long without one is too long).
    await serveOperations(shutdown, logger, ops, { clickhouse: clickhouseAnswers(ch), rollups: observer.readiness });
  });

/**
 * The API alone: it reads the pipeline's state from Kafka (KAFKA_BROKERS, default localhost:9092)
 * and ClickHouse itself, so /admin/pipeline/status and the dashboard's health panel work when the
 * ingest and the rollups run elsewhere.
 */
export const apiCommand = () =>
  runService('api', async (shutdown, logger) => {
    const env = parseEnv(apiEnv);
    // No local broker here: the API only reads the state of one that runs elsewhere.
    const kafkaSettings = parseEnv(kafkaEnv);
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const kafka = kafkaClient(kafkaSettings.KAFKA_BROKERS ?? DEFAULT_BROKERS, kafkaSettings, logger);
    const observer = observePipeline(shutdown, { kafka, clickhouse: ch.client, logger });
    const api = await apiFromEnv(env, { clickhouse: ch.client, logger }, { readiness: { clickhouse: clickhouseAnswers(ch) }, pipelineStatus: () => observer.status() });
    shutdown.add('api', () => api.stop());
  });

export const migrateCommand = async (opts: { json?: boolean }) => {
  const logger = createLogger('migrate');
  const env = parseEnv(connectionsEnv.pick({ CLICKHOUSE_URL: true, CLICKHOUSE_PATH: true, CLICKHOUSE_CLUSTER: true, DATA_DIR: true, NODE_ENV: true, LOG_LEVEL: true }));
  const ch = await openClickhouse({ url: env.CLICKHOUSE_URL, path: clickhousePathOf(env), topology: topologyFromEnv(env) });
  try {
    const result = await migrate(ch.client, undefined, ch.topology);
    if (opts.json) process.stdout.write(`${JSON.stringify({ location: ch.location, ...result })}\n`);
    else {
      process.stdout.write(`ClickHouse ${ch.mode} at ${ch.location}\n`);
      process.stdout.write(result.applied.length ? `applied: ${result.applied.join(', ')}\n` : 'schema is up to date\n');
    }
    logger.debug(result, 'migrations done');
  } finally {
    await ch.close();
  }
};
