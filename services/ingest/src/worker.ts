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
  /** The partitions the group gave this consumer at its last join, and how many joins so far. */
  assignment(): { joins: number; partitions: Array<{ topic: string; partition: number }> };
  /**
   * Leaves the group and joins again with a new consumer, which reads on from the committed
   * offsets. A batch that never returns is left behind after `DISCONNECT_TIMEOUT_MS`.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** How long a restart or a stop waits for a consumer to leave before going on without it. */
const DISCONNECT_TIMEOUT_MS = 15_000;

/**
 * A kafkajs consumer that writes each fetched batch before committing it. A chunk's offsets are
 * resolved only after its write succeeded, so a crash anywhere leaves the uncommitted tail to be
 * redelivered, and the idempotent storage absorbs what was written twice.
 */
export async function startIngestWorker(opts: IngestWorkerOptions): Promise<IngestWorker> {
  const { kafka, sink, logger, groupId, chunkSize = 10_000, concurrency = 2 } = opts;
  let inGroup = false;
  let stopping = false;
  let joins = 0;
  let assigned: Array<{ topic: string; partition: number }> = [];
  const stalls = new StallTracker(opts.stallAfterMs ?? 30_000);

  const newConsumer = (): Consumer => {
    const c = kafka.consumer({
      groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: Math.min(3_000, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      metadataMaxAge: opts.metadataMaxAgeMs ?? 30_000,
    });
    // A consumer left behind by a restart says nothing about this worker any more.
    const current = () => c === consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      if (!current()) return;
      inGroup = true;
      joins++;
      assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
      logger.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined consumer group');
    });
    c.on(c.events.REBALANCING, () => {
      if (current()) logger.info('consumer group rebalancing');
    });
    c.on(c.events.CRASH, (e) => {
      if (!current()) return;
      inGroup = false;
      logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    c.on(c.events.STOP, () => {
      if (current()) inGroup = false;
    });
    return c;
  };
  let consumer: Consumer = newConsumer();

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

  /** Disconnects `c`, or gives up after DISCONNECT_TIMEOUT_MS: a batch that never returns must not hold a restart or a stop. */
  const leave = async (c: Consumer) => {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DISCONNECT_TIMEOUT_MS)));
    const left = await Promise.race([c.disconnect().then(() => true, () => true), gaveUp]);
    clearTimeout(timer);
    if (!left) logger.error({ waitedMs: DISCONNECT_TIMEOUT_MS }, 'the consumer did not leave in time (a batch never returned); it is left behind');
  };
  const run = async (c: Consumer) => {
    await c.connect();
    await c.subscribe({ topics: [...SOURCE_TOPICS], fromBeginning: true });
    await c.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: concurrency, eachBatch });
  };
  await run(consumer);
  logger.info({ groupId, topics: SOURCE_TOPICS }, 'ingest worker started');

  return {
    // Ready means making progress: in the group, and no partition's writes failing right now.
    isReady: () => inGroup && stalls.failing().length === 0,
    stalls: () => stalls.failing(),
    assignment: () => ({ joins, partitions: assigned }),
    restart: async () => {
      const old = consumer;
      consumer = newConsumer();
      inGroup = false;
      assigned = [];
      await leave(old);
      if (!stopping) await run(consumer);
    },
    stop: async () => {
      stopping = true;
      await leave(consumer);
      stalls.clear();
      logger.info('ingest worker stopped');
    },
  };
}
