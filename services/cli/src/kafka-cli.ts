import { createKafka, type Kafka } from '@notify-stats/kafka';
import { createLogger } from '@notify-stats/runtime';

/** Brokers for operator commands: KAFKA_BROKERS, else the local broker that `npm start` runs. */
export function operatorKafka(): Kafka {
  const brokers = (process.env.KAFKA_BROKERS || 'localhost:9092').split(',');
  const logger = createLogger('cli');
  logger.level = process.env.LOG_LEVEL ?? 'error';
  return createKafka(brokers, 'notify-stats-cli', logger);
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
