export { createLogger, rootLogger, type Logger } from './logger.ts';
export { parseEnv, EnvError, dataEnv, clickhouseEnv, kafkaEnv, opsEnv, type DataEnv, type ClickhouseEnv, type KafkaEnv } from './env.ts';
export { Shutdown } from './shutdown.ts';
export { metricsRegistry, setBuildInfo } from './metrics.ts';
export { evaluateReadiness, type ReadinessCheck, type ReadinessReport } from './readiness.ts';
export { startOpsServer, type OpsServer, type OpsServerOptions } from './ops-server.ts';
export { sleep, retry, backoffMs, type BackoffOptions } from './retry.ts';
