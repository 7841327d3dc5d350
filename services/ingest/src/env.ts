import { z } from 'zod';
import { kafkaEnv, opsEnv } from '@notify-stats/runtime';

const blank = (v: unknown) => (v === '' ? undefined : v);

/**
 * What the ingest worker reads from the environment. The connections it is given (Kafka,
 * ClickHouse, DATA_DIR) belong to the process, which may run other services beside it.
 */
export const ingestEnv = kafkaEnv
  // The topics the worker creates when they are missing.
  .pick({ KAFKA_TOPIC_PARTITIONS: true, KAFKA_TOPIC_REPLICATION_FACTOR: true, KAFKA_TOPIC_MIN_INSYNC_REPLICAS: true })
  .extend({
    // Quarantine: status events of these services go to the DLQ until removed and redriven.
    INGEST_REJECT_SERVICES: z.preprocess(
      blank,
      z
        .string()
        .regex(/^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36})*$/, 'must be comma-separated service ids')
        .transform((s) => new Set(s.toLowerCase().split(',')))
        .optional(),
    ),
    // A worker that dies without leaving holds its partitions this long (the broker allows 6 s..5 min).
    INGEST_SESSION_TIMEOUT_MS: z.preprocess(blank, z.coerce.number().int().min(6000).max(300_000).default(30_000)),
    // A partition whose writes keep failing this long is stalled: /readyz, `status` and a metric say so.
    INGEST_STALL_AFTER_MS: z.preprocess(blank, z.coerce.number().int().min(1000).max(3_600_000).default(30_000)),
    // A lagging partition with nothing committed and no failing write this long gets a new consumer.
    INGEST_STUCK_AFTER_MS: z.preprocess(blank, z.coerce.number().int().min(1000).max(3_600_000).default(60_000)),
    // Partitions added to a topic are consumed from the next metadata refresh, at most this old.
    INGEST_METADATA_MAX_AGE_MS: z.preprocess(blank, z.coerce.number().int().min(1000).max(3_600_000).default(30_000)),
  });

export type IngestEnv = z.infer<typeof ingestEnv>;

/** The operations port of the worker run alone (the API's is 6012, the rollups' 6014). */
export const INGEST_METRICS_PORT = 6013;
export const ingestOpsEnv = opsEnv(INGEST_METRICS_PORT);
