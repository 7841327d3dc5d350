import { startApi } from '@notify-stats/api';
import { ingestReadiness, startIngest } from '@notify-stats/ingest';
import { INGEST_GROUP_ID, kafkaStatus } from '@notify-stats/kafka';
import { RollupsObserver, startRollups } from '@notify-stats/rollups';
import { Shutdown, createLogger, parseEnv } from '@notify-stats/runtime';
import { ingestSettings, kafkaBrokers, kafkaClient, openMigratedClickhouse } from '../connections.ts';
import { allInOneEnv } from '../env.ts';
import { PipelineObserver } from '../ops/pipeline-observer.ts';

/**
 * The whole pipeline in one process: the embedded engine belongs to one process, so on the
 * embedded defaults ingest, rollups and api share it here. Ctrl-C undoes the start-up in reverse:
 * HTTP first, then the rollups, then the consumer (which finishes and commits its batch), then
 * the engine, then the local broker.
 */
export async function startCommand(): Promise<void> {
  const env = parseEnv(allInOneEnv);
  const logger = createLogger('notify-stats');
  const shutdown = new Shutdown(logger, 30_000);
  shutdown.installSignalHandlers();
  try {
    const { brokers, local } = await kafkaBrokers(env, logger);
    if (local) shutdown.add('local kafka', () => local.stop());
    const ch = await openMigratedClickhouse(env, logger);
    shutdown.add('clickhouse', () => ch.close());
    const kafka = kafkaClient(brokers, env, logger);

    const ingest = await startIngest({ kafka, clickhouse: ch.client, logger: logger.child({ service: 'ingest' }), ...ingestSettings(env) });
    shutdown.add('ingest', () => ingest.stop());
    // Its metrics (last successful cycle, failures); readiness here stays "consuming" (see ingest).
    const cycles = new RollupsObserver(Math.max(30_000, env.ROLLUP_INTERVAL_MS * 10));
    const rollups = await startRollups({
      clickhouse: ch.client,
      kafka,
      logger: logger.child({ service: 'rollups' }),
      intervalMs: env.ROLLUP_INTERVAL_MS,
      safetyCron: env.ROLLUP_SAFETY_CRON,
      safetyDays: env.ROLLUP_SAFETY_DAYS,
      onCycle: cycles.onCycle,
    });
    shutdown.add('rollups', () => rollups.stop());
    const observer = new PipelineObserver({ kafka, clickhouse: ch.client, logger }).start();
    shutdown.add('pipeline observer', () => observer.stop());
    const admin = kafka.admin();
    await admin.connect();
    shutdown.add('kafka admin', () => admin.disconnect());
    const api = await startApi({
      clickhouse: ch.client,
      admin: { clientId: env.ADMIN_CLIENT_ID, secret: env.ADMIN_CLIENT_SECRET },
      operator: { clientId: env.OPERATOR_CLIENT_ID, secret: env.OPERATOR_CLIENT_SECRET },
      rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: env.API_AUTH_FAILURES_PER_MINUTE,
      readiness: { clickhouse: () => ch.client.ping().then((r) => r.success), ingest: () => ingestReadiness(ingest) },
      dataAsOf: async () => rollups.watermark(),
      port: env.PORT,
      host: env.HOST,
      metricsPort: env.METRICS_PORT,
      metricsHost: env.METRICS_HOST,
      logger: logger.child({ service: 'api' }),
      rollups,
      ingest,
      pipelineStatus: async () => ({
        kafka: await kafkaStatus(admin, INGEST_GROUP_ID),
        rollups: { ...(await rollups.status()), lastSuccessfulCycle: cycles.lastSuccessAt() },
        deadLetters: observer.deadLetterCounts(),
        ingest: { stalls: ingest.stalls() },
      }),
    });
    shutdown.add('api', () => api.stop());

    const lines = [
      '',
      'notify-stats is running',
      `  API            ${api.url}   (health: ${api.url}/readyz)`,
      `  Dashboard      ${api.url}/dashboard`,
      `  Operations     ${api.metricsUrl}   (Prometheus: /metrics, OpenAPI: /docs; no credential asked: METRICS_HOST keeps it private)`,
      `  Kafka          ${brokers.join(',')}${local ? ` (local broker, data in ${local.dataDir})` : ''}`,
      `  ClickHouse     ${ch.mode}: ${ch.location}`,
      `  Admin tokens   HS256, iss=${env.ADMIN_CLIENT_ID}, secret=${env.adminSecretIsDefault ? `${env.ADMIN_CLIENT_SECRET} (development default: set ADMIN_CLIENT_SECRET)` : '(from ADMIN_CLIENT_SECRET)'}   reports`,
      `  Operator       HS256, iss=${env.OPERATOR_CLIENT_ID}, secret=${env.operatorSecretIsDefault ? `${env.OPERATOR_CLIENT_SECRET} (development default: set OPERATOR_CLIENT_SECRET)` : '(from OPERATOR_CLIENT_SECRET)'}   reports and /admin/*`,
      '  Stop           Ctrl-C',
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    await shutdown.run('start-up failed').catch(() => undefined);
    process.exitCode = 1;
    throw err;
  }
}
