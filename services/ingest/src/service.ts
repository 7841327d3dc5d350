import { Partitioners, type Kafka } from 'kafkajs';
import type { ClickHouseClient } from '@notify-stats/clickhouse';
import { INGEST_GROUP_ID, ensureTopics, type TopicReplication } from '@notify-stats/kafka';
import type { Logger } from '@notify-stats/runtime';
import { ClickhouseSink, type BatchSink } from './sink.ts';
import type { PartitionStall } from './stalls.ts';
import { startStuckPartitionWatchdog } from './watchdog.ts';
import { startIngestWorker, type IngestWorker } from './worker.ts';

export interface IngestDeps {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  logger: Logger;
  partitions: number;
  /** Replication of the topics created here; unset parts are derived from the cluster's size. */
  replication?: Partial<TopicReplication>;
  groupId?: string;
  /** Replaces the ClickHouse sink (fault injection in tests). */
  sink?: (defaultSink: BatchSink) => BatchSink;
  consumers?: number;
  /** Services whose status events are dead-lettered (quarantine a misbehaving producer). */
  rejectServices?: ReadonlySet<string>;
  sessionTimeoutMs?: number;
  /** A partition whose writes keep failing this long counts as stalled (default 30 s). */
  stallAfterMs?: number;
  /** How often the consumers look for partitions added to their topics (default 30 s). */
  metadataMaxAgeMs?: number;
  /**
   * A partition a consumer owns that lags, with nothing committed and no write failing for this
   * long, is stuck, and the consumer is replaced (default 60 s; see watchdog.ts).
   */
  stuckAfterMs?: number;
}

export interface IngestHandle {
  isReady(): boolean;
  /** Partitions whose writes are failing, with since when and why; `stalled` past the threshold. */
  stalls(): PartitionStall[];
  /** Leaves the consumer group (after committing what was written), e.g. for a replay's rewind. */
  pause(): Promise<void>;
  /** Joins the group again, starting from its committed offsets. */
  resume(): Promise<void>;
  isPaused(): boolean;
  stop(): Promise<void>;
}

/** Creates missing topics, then runs the consumer(s) until stopped. */
export async function startIngest(deps: IngestDeps): Promise<IngestHandle> {
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    const created = await ensureTopics(admin, deps.partitions, deps.replication);
    if (created.length) deps.logger.info({ created }, 'created topics');
  } finally {
    await admin.disconnect();
  }
  const producer = deps.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const base = new ClickhouseSink(deps.clickhouse, producer);
  const sink = deps.sink ? deps.sink(base) : base;
  const groupId = deps.groupId ?? INGEST_GROUP_ID;
  let workers: IngestWorker[] = [];
  const startWorkers = async () => {
    for (let i = 0; i < (deps.consumers ?? 1); i++) {
      workers.push(
        await startIngestWorker({
          kafka: deps.kafka,
          sink,
          logger: deps.logger.child({ consumer: i }),
          groupId,
          ...(deps.rejectServices ? { rejectServices: deps.rejectServices } : {}),
          ...(deps.sessionTimeoutMs ? { sessionTimeoutMs: deps.sessionTimeoutMs } : {}),
          ...(deps.stallAfterMs ? { stallAfterMs: deps.stallAfterMs } : {}),
          ...(deps.metadataMaxAgeMs ? { metadataMaxAgeMs: deps.metadataMaxAgeMs } : {}),
        }),
      );
    }
  };
  const stopWorkers = async () => {
    const stopping = workers;
    workers = [];
    await Promise.all(stopping.map((w) => w.stop()));
  };
  await startWorkers();
  const stuckAfterMs = deps.stuckAfterMs ?? 60_000;
  const watchdog = startStuckPartitionWatchdog({ kafka: deps.kafka, groupId, logger: deps.logger, workers: () => workers, stuckAfterMs, everyMs: Math.min(10_000, Math.ceil(stuckAfterMs / 4)) });
  return {
    isReady: () => workers.length > 0 && workers.every((w) => w.isReady()),
    stalls: () => workers.flatMap((w) => w.stalls()),
    pause: async () => {
      await stopWorkers();
      deps.logger.info('ingest paused');
    },
    resume: async () => {
      if (workers.length === 0) await startWorkers();
    },
    isPaused: () => workers.length === 0,
    stop: async () => {
      await watchdog.stop();
      await stopWorkers();
      await producer.disconnect();
    },
  };
}
