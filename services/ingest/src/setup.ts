import { replicationFromEnv } from '@notify-stats/kafka';
import type { IngestEnv } from './env.ts';
import { startIngest, type IngestDeps, type IngestHandle } from './service.ts';

/**
 * The connections the process opened once for every service it runs: the embedded engine belongs
 * to one process, and `start` runs ingest, rollups and api in one.
 */
export type IngestResources = Pick<IngestDeps, 'kafka' | 'clickhouse' | 'logger'>;

/** Seams the tests use (fault injection, several consumers in one process); production sets none. */
export type IngestSeams = Pick<IngestDeps, 'sink' | 'consumers'>;

/** The ingest worker as every command and the end-to-end tests run it, configured by its environment. */
export function ingestFromEnv(env: IngestEnv, resources: IngestResources, seams: IngestSeams = {}): Promise<IngestHandle> {
  return startIngest({
    ...resources,
    ...seams,
    partitions: env.KAFKA_TOPIC_PARTITIONS,
    replication: replicationFromEnv(env),
    rejectServices: env.INGEST_REJECT_SERVICES,
    sessionTimeoutMs: env.INGEST_SESSION_TIMEOUT_MS,
    stallAfterMs: env.INGEST_STALL_AFTER_MS,
    stuckAfterMs: env.INGEST_STUCK_AFTER_MS,
    metadataMaxAgeMs: env.INGEST_METADATA_MAX_AGE_MS,
  });
}
