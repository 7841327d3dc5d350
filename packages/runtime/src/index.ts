export { createLogger, rootLogger, type Logger } from './logger.ts';
export { parseEnv, EnvError, dataEnv, clickhouseEnv, kafkaEnv, type DataEnv, type ClickhouseEnv, type KafkaEnv } from './env.ts';
export { Shutdown } from './shutdown.ts';
export { metricsRegistry } from './metrics.ts';
export { sleep, retry, backoffMs, type BackoffOptions } from './retry.ts';
