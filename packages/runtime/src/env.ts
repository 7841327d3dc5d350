import path from 'node:path';
import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's schema; the message lists every problem. */
export class EnvError extends Error {
  override name = 'EnvError';
}

export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());

/** Where the embedded defaults keep their data: see docs/operations (DATA_DIR). */
export const dataEnv = z.object({
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('.data')).transform((d) => path.resolve(d)),
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export const clickhouseEnv = z.object({
  CLICKHOUSE_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional()),
  CLICKHOUSE_PATH: optionalString,
  CLICKHOUSE_CLUSTER: optionalString,
});

export const kafkaEnv = z.object({
  KAFKA_BROKERS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, 'must be host:port[,host:port...]')
      .transform((s) => s.split(','))
      .optional(),
  ),
  KAFKA_TOPIC_PARTITIONS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1000).default(6)),
  // Replication of the topics the pipeline creates; unset: min(3, brokers) and min(2, replication factor).
  KAFKA_TOPIC_REPLICATION_FACTOR: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(16).optional()),
  KAFKA_TOPIC_MIN_INSYNC_REPLICAS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(16).optional()),
  // Local nodes `npm start` runs when KAFKA_BROKERS is unset: 1 (a single broker) or a KRaft cluster of N.
  KAFKA_NODES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(9).default(1)),
  KAFKA_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().default('notify-stats')),
});

/**
 * The operations server (/healthz, /readyz, /metrics) of a service run alone; each service says
 * its own default port, so that several run side by side on one machine.
 */
export const opsEnv = (defaultPort: number) =>
  z.object({
    METRICS_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(defaultPort)),
    METRICS_HOST: z.preprocess(emptyAsUndefined, z.string().default('127.0.0.1')),
  });

export type DataEnv = z.infer<typeof dataEnv>;
export type ClickhouseEnv = z.infer<typeof clickhouseEnv>;
export type KafkaEnv = z.infer<typeof kafkaEnv>;
