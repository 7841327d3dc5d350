import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { SOURCE_TOPICS, isSourceTopic } from '@notify-stats/events';
import type { Logger } from '@notify-stats/runtime';
import { writeChunk } from './chunk-writer.ts';
import { ingestMetrics } from './metrics.ts';
import { processBatch, type IncomingMessage } from './process-batch.ts';
import type { BatchSink } from './sink.ts';
import { StallTracker, type PartitionStall } from './stalls.ts';

export interface IngestWorkerOptions {
  kafka: Kafka;
  sink: BatchSink;
  logger: Logger;
  groupId: string;
  /** Messages written per INSERT; a fetched batch is cut into chunks of this size. */
  chunkSize?: number;
  /** Partitions processed at once by this consumer. */
  concurrency?: number;
  /** Bounds memory: kafkajs fetches at most this much per partition at a time. */
  maxBytesPerPartition?: number;
  /**
   * How long the broker waits for a silent consumer before giving its partitions to others: a
   * worker that died without leaving (SIGKILL, lost host) holds its partitions that long.
   */
  sessionTimeoutMs?: number;
  rejectServices?: ReadonlySet<string>;
  /** A partition whose writes keep failing this long is stalled: not ready, and reported. */
  stallAfterMs?: number;
  /**
   * How old the cluster metadata may grow before it is fetched again. A partition added to a
   * topic is noticed at that refresh (kafkajs then rejoins the group and the new partition is
   * assigned): kafkajs's default of 5 minutes would leave it unread that long.
   */
  metadataMaxAgeMs?: number;
}

export interface IngestWorker {
  /** True while the consumer is in its group and no partition's writes are failing. */
  isReady(): boolean;
  /** Partitions whose writes are failing now, with the last failure's reason. */
  stalls(): PartitionStall[];
  stop(): Promise<void>;
}

/**
 * A kafkajs consumer that writes each fetched batch before committing it. A chunk's offsets are
 * resolved only after its write succeeded, so a crash anywhere leaves the uncommitted tail to be
 * redelivered, and the idempotent storage absorbs what was written twice.
 */
export async function startIngestWorker(opts: IngestWorkerOptions): Promise<IngestWorker> {
  const { kafka, sink, logger, groupId, chunkSize = 10_000, concurrency = 2 } = opts;
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: Math.min(3_000, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 3)),
    maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    maxWaitTimeInMs: 100,
    metadataMaxAge: opts.metadataMaxAgeMs ?? 30_000,
  });
  let inGroup = false;
  let stopping = false;
  const stalls = new StallTracker(opts.stallAfterMs ?? 30_000);

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    inGroup = true;
    logger.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.REBALANCING, () => logger.info('consumer group rebalancing'));
  consumer.on(consumer.events.CRASH, (e) => {
    inGroup = false;
    logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
  });
  consumer.on(consumer.events.STOP, () => (inGroup = false));

  const eachBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) => {
    const topic = batch.topic;
    if (!isSourceTopic(topic)) throw new Error(`subscribed to unexpected topic ${topic}`);
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + chunkSize) as IncomingMessage[];
      const timer = ingestMetrics.insertSeconds.startTimer();
      const written = await writeChunk(chunk, {
        sink,
        topic,
        partition: batch.partition,
        process: (messages) => processBatch(topic, batch.partition, messages, { rejectServices: opts.rejectServices }),
        shouldStop: () => stopping || !isRunning() || isStale(),
        onFailure: (err, kind, attempt, delayMs) => {
          stalls.failed(topic, batch.partition, err);
          ingestMetrics.writeFailures.inc({ kind });
          const level = kind === 'data' ? 'warn' : attempt > 3 ? 'error' : 'warn';
          logger[level]({ err, kind, attempt, delayMs, topic, partition: batch.partition }, kind === 'data' ? 'storage refused rows; isolating them' : 'write failed; retrying');
          void heartbeat().catch(() => undefined);
        },
      });
      timer();
      stalls.progressed(topic, batch.partition);
      ingestMetrics.batchSize.observe(chunk.length);
      ingestMetrics.events.inc({ topic, outcome: 'stored' }, written.stored);
      if (written.refused) ingestMetrics.refused.inc({ topic }, written.refused);
      if (written.deadLettered) {
        ingestMetrics.events.inc({ topic, outcome: 'dead_lettered' }, written.deadLettered);
        logger.warn({ topic, partition: batch.partition, count: written.deadLettered, refusedByStorage: written.refused }, 'messages dead-lettered');
      }
      const last = chunk[chunk.length - 1];
      if (last) resolveOffset(last.offset);
      await heartbeat();
      await commitOffsetsIfNecessary();
      ingestMetrics.lag.set({ topic, partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - Number(last?.offset ?? 0) - 1));
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topics: [...SOURCE_TOPICS], fromBeginning: true });
  await consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: concurrency, eachBatch });
  logger.info({ groupId, topics: SOURCE_TOPICS }, 'ingest worker started');

  return {
    // Ready means making progress: in the group, and no partition's writes failing right now.
    isReady: () => inGroup && stalls.failing().length === 0,
    stalls: () => stalls.failing(),
    stop: async () => {
      stopping = true;
      await consumer.disconnect();
      stalls.clear();
      logger.info('ingest worker stopped');
    },
  };
}
