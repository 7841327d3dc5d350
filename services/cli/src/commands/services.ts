import { startApi } from '@notify-stats/api';
import { migrate, openClickhouse, topologyFromEnv } from '@notify-stats/clickhouse';
import { startIngest } from '@notify-stats/ingest';
import { startRollups } from '@notify-stats/rollups';
import { Shutdown, createLogger, parseEnv, type Logger } from '@notify-stats/runtime';
import { ingestSettings, kafkaBrokers, kafkaClient, openMigratedClickhouse } from '../connections.ts';
import { apiEnv, clickhousePathOf, ingestEnv, rollupsEnv } from '../env.ts';

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

/** The ingest worker alone (how it runs in production, against a ClickHouse server). */
export const ingestCommand = () =>
  runService('ingest', async (shutdown, logger) => {
    const env = parseEnv(ingestEnv);
    const { brokers, local } = await kafkaBrokers(env, logger);
    if (local) shutdown.add('local kafka', () => local.stop());
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const ingest = await startIngest({ kafka: kafkaClient(brokers, env, logger), clickhouse: ch.client, logger, ...ingestSettings(env) });
    shutdown.add('ingest', () => ingest.stop());
  });

export const rollupsCommand = () =>
  runService('rollups', async (shutdown, logger) => {
    const env = parseEnv(rollupsEnv);
    const { brokers, local } = await kafkaBrokers(env, logger);
    if (local) shutdown.add('local kafka', () => local.stop());
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const rollups = await startRollups({
      clickhouse: ch.client,
      topology: ch.topology,
      kafka: kafkaClient(brokers, env, logger),
      logger,
      intervalMs: env.ROLLUP_INTERVAL_MS,
      safetyCron: env.ROLLUP_SAFETY_CRON,
      safetyDays: env.ROLLUP_SAFETY_DAYS,
    });
    shutdown.add('rollups', () => rollups.stop());
  });

/** The API alone: ready while ClickHouse answers and the rollups keep the watermark moving. */
export const apiCommand = () =>
  runService('api', async (shutdown, logger) => {
    const env = parseEnv(apiEnv);
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const api = await startApi({
      clickhouse: ch.client,
      admin: { clientId: env.ADMIN_CLIENT_ID, secret: env.ADMIN_CLIENT_SECRET },
      operator: { clientId: env.OPERATOR_CLIENT_ID, secret: env.OPERATOR_CLIENT_SECRET },
      rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: env.API_AUTH_FAILURES_PER_MINUTE,
      readiness: { clickhouse: () => ch.client.ping().then((r) => r.success) },
      port: env.PORT,
      host: env.HOST,
      metricsPort: env.METRICS_PORT,
      metricsHost: env.METRICS_HOST,
      logger,
    });
    shutdown.add('api', () => api.stop());
  });

export const migrateCommand = async (opts: { json?: boolean }) => {
  const logger = createLogger('migrate');
  const env = parseEnv(ingestEnv.pick({ CLICKHOUSE_URL: true, CLICKHOUSE_PATH: true, CLICKHOUSE_CLUSTER: true, DATA_DIR: true, NODE_ENV: true, LOG_LEVEL: true }));
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
