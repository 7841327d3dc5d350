import { Shutdown, createLogger, parseEnv } from '@notify-stats/runtime';
import { startAllInOne } from '../all-in-one.ts';
import { openResources } from '../connections.ts';
import { allInOneEnv } from '../env.ts';

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
    const { brokers, local, ch, kafka } = await openResources(env, logger, shutdown);
    const { api } = await startAllInOne(env, { kafka, clickhouse: ch.client, session: ch.session, logger }, shutdown);

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
