import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@notify-stats/runtime';
// snappy, lz4 and zstd for every client made here (kafkajs alone reads gzip only).
import { registerCodecs } from './codecs.ts';

export { Kafka };

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through our pino logger, so broker trouble shows up in the same structured log. */
export function createKafka(brokers: string[], clientId: string, logger: Logger): Kafka {
  registerCodecs();
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 300, retries: 12, maxRetryTime: 10_000 },
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...extra } = log;
        logger[LEVELS[level] ?? 'info']({ kafka: extra }, `kafka: ${message}`);
      },
  });
}
