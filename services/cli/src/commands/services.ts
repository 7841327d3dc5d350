import { startApi } from '@notify-stats/api';
import { migrate, openClickhouse, topologyFromEnv } from '@notify-stats/clickhouse';
import { INGEST_METRICS_PORT, ingestOpsEnv, ingestReadiness, startIngest } from '@notify-stats/ingest';
import { ROLLUPS_METRICS_PORT, RollupsObserver, rollupsOpsEnv, startRollups } from '@notify-stats/rollups';
import { Shutdown, createLogger, kafkaEnv, opsEnv, parseEnv, startOpsServer, type Logger, type ReadinessCheck } from '@notify-stats/runtime';
import { ingestSettings, kafkaBrokers, kafkaClient, openMigratedClickhouse } from '../connections.ts';
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
async function serveOperations(shutdown: Shutdown, logger: Logger, defaultPort: number, readiness: Record<string, ReadinessCheck>): Promise<void> {
  const env = parseEnv(opsEnv(defaultPort));
  const ops = await startOpsServer({ port: env.METRICS_PORT, host: env.METRICS_HOST, readiness, logger });
  shutdown.add('operations server', () => ops.close());
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
    parseEnv(ingestOpsEnv); // a bad METRICS_PORT is refused before anything starts
    const { brokers, local } = await kafkaBrokers(env, logger);
    if (local) shutdown.add('local kafka', () => local.stop());
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const kafka = kafkaClient(brokers, env, logger);
    const ingest = await startIngest({ kafka, clickhouse: ch.client, logger, ...ingestSettings(env) });
    shutdown.add('ingest', () => ingest.stop());
    observePipeline(shutdown, { kafka, clickhouse: ch.client, logger });
    // Ready while it consumes and no partition's writes are stalled (ingestReadiness says which).
    await serveOperations(shutdown, logger, INGEST_METRICS_PORT, { clickhouse: clickhouseAnswers(ch), ingest: () => ingestReadiness(ingest) });
  });

export const rollupsCommand = () =>
  runService('rollups', async (shutdown, logger) => {
    const env = parseEnv(rollupsEnv);
    parseEnv(rollupsOpsEnv);
    const { brokers, local } = await kafkaBrokers(env, logger);
    if (local) shutdown.add('local kafka', () => local.stop());
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const kafka = kafkaClient(brokers, env, logger);
    // Ready while cycles keep succeeding: a few intervals without one (30 s at least) is not.
    const observer = new RollupsObserver(Math.max(30_000, env.ROLLUP_INTERVAL_MS * 10));
    const rollups = await startRollups({
      clickhouse: ch.client,
      kafka,
      logger,
      intervalMs: env.ROLLUP_INTERVAL_MS,
      safetyCron: env.ROLLUP_SAFETY_CRON,
      safetyDays: env.ROLLUP_SAFETY_DAYS,
      onCycle: observer.onCycle,
    });
    shutdown.add('rollups', () => rollups.stop());
    observePipeline(shutdown, { kafka, clickhouse: ch.client, logger });
    await serveOperations(shutdown, logger, ROLLUPS_METRICS_PORT, { clickhouse: clickhouseAnswers(ch), rollups: observer.readiness });
  });

/**
 * The API alone: it reads the pipeline's state from Kafka (KAFKA_BROKERS, default localhost:9092)
 * and ClickHouse itself, so /admin/pipeline/status and the dashboard's health panel work when the
 * ingest and the rollups run elsewhere.
 */
export const apiCommand = () =>
  runService('api', async (shutdown, logger) => {
    const env = parseEnv(apiEnv);
    const kafkaSettings = parseEnv(kafkaEnv);
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const kafka = kafkaClient(kafkaSettings.KAFKA_BROKERS ?? DEFAULT_BROKERS, kafkaSettings, logger);
    const observer = observePipeline(shutdown, { kafka, clickhouse: ch.client, logger });
    const api = await startApi({
      clickhouse: ch.client,
      admin: { clientId: env.ADMIN_CLIENT_ID, secret: env.ADMIN_CLIENT_SECRET },
      operator: { clientId: env.OPERATOR_CLIENT_ID, secret: env.OPERATOR_CLIENT_SECRET },
      rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: env.API_AUTH_FAILURES_PER_MINUTE,
      readiness: { clickhouse: clickhouseAnswers(ch) },
      port: env.PORT,
      host: env.HOST,
      metricsPort: env.METRICS_PORT,
      metricsHost: env.METRICS_HOST,
      logger,
      pipelineStatus: () => observer.status(),
    });
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
