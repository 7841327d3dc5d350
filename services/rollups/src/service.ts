import { Cron } from 'croner';
import type { Kafka } from 'kafkajs';
import {
  STATE_KEYS,
  lastBuilds,
  lastCycle,
  readState,
  writeState,
  type ClickHouseClient,
  type CycleRecord,
  type DayBuild,
} from '@notify-stats/clickhouse';
import { OUTPUT_TOPICS, SOURCE_TOPICS, type AlertEvent, type RestatementEvent } from '@notify-stats/events';
import { INGEST_GROUP_ID, committedOffsets, endOffsets } from '@notify-stats/kafka';
import { addDays, daysInRange, todayInLondon } from '@notify-stats/london';
import { sleep, type Logger } from '@notify-stats/runtime';
import { backfill, type BackfillProgress } from './backfill.ts';
import { IngestProgress } from './freshness.ts';
import type { RollupLease } from './lease.ts';
import type { RepairOptions } from './repair.ts';
import { rollupMetrics } from './metrics.ts';
import type { CycleOutcome } from './observability.ts';
import { WINDOW_TOPICS, type Positions } from './positions.ts';
import { OutputPublisher } from './output-publisher.ts';
import { RollupRunner } from './runner.ts';

export interface RollupsOptions {
  clickhouse: ClickHouseClient;
  kafka: Kafka;
  logger: Logger;
  groupId?: string;
  /** Pause between cycles; a cycle also waits for the previous one to finish. */
  intervalMs?: number;
  /** Cron (Europe/London) of the safety repair of recent days; empty disables it. */
  safetyCron?: string;
  safetyDays?: number;
  /** Tests only: a lease of their own (or none). */
  lease?: RollupLease | null;
  /** Called after every cycle with how it went (observability.ts: metrics and readiness). */
  onCycle?: (outcome: CycleOutcome) => void;
  /** A day is final once older than this many London days; a change to it is published as a restatement (restatements.ts). */
  restatementAgeDays?: number;
}

export interface RollupsHandle {
  /** Repairs the days (between the window cycles) and resolves once the last one is done. */
  backfill(from: string, to: string, onProgress?: (p: BackfillProgress) => void, options?: RepairOptions): Promise<void>;
  /** Latest freshness watermark (ISO), or null before the first complete cycle. */
  watermark(): string | null;
  status(): Promise<{ watermark: string | null; pending: number; lastCycle: CycleRecord | null; lastBuilds: DayBuild[] }>;
  stop(): Promise<void>;
}

const isWindowTopic = (tp: string) => (WINDOW_TOPICS as readonly string[]).some((t) => tp.startsWith(`${t}:`));

export async function startRollups(opts: RollupsOptions): Promise<RollupsHandle> {
  const { clickhouse, kafka, logger, intervalMs = 1000, safetyDays = 10 } = opts;
  const groupId = opts.groupId ?? INGEST_GROUP_ID;
  const admin = kafka.admin();
  await admin.connect();
  const restatements = new OutputPublisher<RestatementEvent>(kafka, admin, OUTPUT_TOPICS.restatements, (e) => e.day, (e) => e.restatement_id);
  const alerts = new OutputPublisher<AlertEvent>(kafka, admin, OUTPUT_TOPICS.alerts, (e) => e.service_id, (e) => e.alert_id);
  const progress = new IngestProgress(() => endOffsets(admin, SOURCE_TOPICS));
  let watermark = await readState(clickhouse, STATE_KEYS.freshnessWatermark);
  let stopped = false;
  let repairsQueued = 0;
  /** The ingest group's commits read before the run in progress. */
  let committed: Positions = new Map();

  // The watermark's age is published by the observability timer (notify_stats_freshness_watermark_*),
  // read from pipeline_state, so it keeps ageing when cycles fail.
  const moveWatermark = async () => {
    const processed: Positions = new Map([...committed].filter(([tp]) => !isWindowTopic(tp)));
    for (const [tp, offset] of runner.positions() ?? []) processed.set(tp, offset);
    const caughtUp = progress.caughtUpTo(processed);
    if (caughtUp !== null && (watermark === null || caughtUp > Date.parse(watermark))) {
      watermark = new Date(caughtUp).toISOString();
      await writeState(clickhouse, STATE_KEYS.freshnessWatermark, watermark);
    }
  };
  const runner = new RollupRunner(clickhouse, logger, {
    ...(opts.lease !== undefined && { lease: opts.lease }),
    restatements: { ageDays: opts.restatementAgeDays ?? 2, publish: restatements.publish },
    alerts: { publish: alerts.publish, published: alerts.published },
    onWindowApplied: moveWatermark,
  });

  const cycle = async () => {
    // Read before the cycle: a rate committed by then has its mark written, so this cycle's
    // repricing covers it; the window topics count by the runner's own positions instead.
    committed = await rollupMetrics.timed('read-commits', () => committedOffsets(admin, groupId, SOURCE_TOPICS));
    const result = await runner.runOnce(new Map([...committed].filter(([tp]) => isWindowTopic(tp))));
    rollupMetrics.windowOffsets.set(result.windowSize);
    rollupMetrics.repairSlicesQueued.set(result.repairsLeft);
    repairsQueued = result.repairsLeft;
    return result.capped || result.repairsLeft > 0;
  };

  // The probes run on a timer of their own, not at the start of each cycle: a cycle then counts
  // up to a probe taken shortly before the ingest's commit it reads. A probe of the cycle's own
  // start was never yet reached by that commit, so an event waited about one cycle more for the
  // next (measured at 10k events/s: docs/benchmarks.md section 2). One probe at a time keeps them
  // in time order; a broker away is told once, not every 250 ms.
  let probing: Promise<void> | null = null;
  let probeFailing = false;
  const probeNow = () => {
    probing ??= rollupMetrics
      .timed('probe-ends', () => progress.probe())
      .then(
        () => {
          probeFailing = false;
        },
        (err: unknown) => {
          if (!probeFailing) logger.warn({ err }, 'could not read the end offsets for the freshness watermark; it waits');
          probeFailing = true;
        },
      )
      .finally(() => {
        probing = null;
      });
  };
  probeNow();
  const probeTimer = setInterval(probeNow, Math.min(250, intervalMs));

  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      let busy = false;
      try {
        busy = await cycle();
        opts.onCycle?.({ ok: true, at: Date.now(), ms: Date.now() - started });
      } catch (err) {
        logger.error({ err }, 'rollup cycle failed; retrying next cycle');
        opts.onCycle?.({ ok: false, at: Date.now(), error: err });
      }
      // More work waiting (a capped window, repair slices) runs at once; otherwise wait for events.
      await sleep(busy ? 0 : Math.max(100, intervalMs - (Date.now() - started)));
    }
  })();

  const safety =
    opts.safetyCron && opts.safetyCron.trim()
      ? new Cron(opts.safetyCron, { timezone: 'Europe/London', protect: true }, () => {
          const today = todayInLondon();
          logger.info({ days: safetyDays }, 'safety repair of recent days');
          void runner.repair(daysInRange(addDays(today, -(safetyDays - 1)), today).reverse()).catch((err: unknown) => {
            logger.error({ err }, 'safety repair failed');
          });
        })
      : undefined;

  logger.info({ intervalMs, safetyCron: opts.safetyCron, safetyDays }, 'rollups started');

  return {
    backfill: (from, to, onProgress, options) => backfill(runner, from, to, onProgress, options),
    watermark: () => watermark,
    status: async () => ({
      watermark,
      pending: repairsQueued,
      lastCycle: await lastCycle(clickhouse),
      lastBuilds: await lastBuilds(clickhouse),
    }),
    stop: async () => {
      stopped = true;
      safety?.stop();
      clearInterval(probeTimer);
      await loop;
      await probing;
      await runner.release().catch((err: unknown) => logger.warn({ err }, 'could not release the rollup lease'));
      await restatements.stop();
      await alerts.stop();
      await admin.disconnect();
      logger.info('rollups stopped');
    },
  };
}
