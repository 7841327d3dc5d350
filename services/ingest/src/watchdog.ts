import type { Admin, Kafka } from 'kafkajs';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { consumerLag } from '@notify-stats/kafka';
import type { Logger } from '@notify-stats/runtime';
import { ingestMetrics } from './metrics.ts';
import { StuckPartitionDetector, type OwnedPartitionLag } from './stuck-partitions.ts';
import type { IngestWorker } from './worker.ts';

export interface WatchdogOptions {
  kafka: Kafka;
  groupId: string;
  logger: Logger;
  /** The running workers (none while ingest is paused). */
  workers: () => readonly IngestWorker[];
  /** A lagging partition with nothing committed and no failing write for this long is stuck. */
  stuckAfterMs: number;
  everyMs: number;
}

const keyOf = (p: { topic: string; partition: number }) => `${p.topic}[${p.partition}]`;

/**
 * Compares what each worker owns with the group's committed offsets and the partitions' ends,
 * and replaces a worker's consumer when one of its partitions is stuck (StuckPartitionDetector).
 */
export function startStuckPartitionWatchdog(opts: WatchdogOptions): { stop(): Promise<void> } {
  const { logger } = opts;
  const watched = new WeakMap<IngestWorker, { joins: number; detector: StuckPartitionDetector }>();
  let admin: Admin | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();

  const check = async () => {
    const workers = opts.workers();
    if (workers.length === 0) return;
    if (!admin) {
      const a = opts.kafka.admin();
      await a.connect();
      admin = a;
    }
    const lags = new Map((await consumerLag(admin, opts.groupId, SOURCE_TOPICS)).map((l) => [keyOf(l), l]));
    for (const worker of workers) {
      const { joins, partitions } = worker.assignment();
      let w = watched.get(worker);
      // A join changed what the worker owns: start watching afresh.
      if (!w || w.joins !== joins) watched.set(worker, (w = { joins, detector: new StuckPartitionDetector(opts.stuckAfterMs) }));
      // A failing write holds the worker's batches, so its other partitions wait for good reason:
      // that is the stall tracker's to report, and a new consumer would fail the same way.
      if (worker.stalls().length > 0) {
        w.detector.reset();
        continue;
      }
      const owned = partitions.flatMap((p): OwnedPartitionLag[] => {
        const lag = lags.get(keyOf(p));
        return lag ? [lag] : [];
      });
      const stuck = w.detector.observe(owned);
      if (stuck.length === 0 || stopped) continue;
      logger.error({ stuck, stuckAfterMs: opts.stuckAfterMs }, 'partitions lag with nothing committed and no failing write; replacing the consumer');
      ingestMetrics.consumerRestarts.inc();
      watched.delete(worker);
      await worker.restart();
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick = check()
        .catch((err: unknown) => logger.warn({ err }, 'stuck-partition check failed; trying again'))
        .finally(schedule);
    }, opts.everyMs);
  };
  schedule();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await tick;
      await admin?.disconnect();
    },
  };
}
