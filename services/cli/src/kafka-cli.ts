import { createKafka, type Kafka } from '@notify-stats/kafka';
import { createLogger, kafkaEnv, parseEnv } from '@notify-stats/runtime';

export const DEFAULT_BROKERS = ['localhost:9092'];

/** Brokers for operator commands: --brokers / KAFKA_BROKERS, else the local broker that `npm start` runs. */
export function operatorBrokers(): string[] {
  return parseEnv(kafkaEnv).KAFKA_BROKERS ?? DEFAULT_BROKERS;
}

/** A client for one operator command; kafkajs's own complaints go to the log on stderr. */
export function operatorKafka(): Kafka {
  const logger = createLogger('cli');
  logger.level = process.env.LOG_LEVEL ?? 'error';
  return createKafka(operatorBrokers(), 'notify-stats-cli', logger);
}

export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The command's one JSON document: a single line, so `| jq` and line readers both take it. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
