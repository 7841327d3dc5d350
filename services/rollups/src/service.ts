import { Cron } from 'croner';
import type { Kafka } from 'kafkajs';
import {
  STATE_KEYS,
  lastBuilds,
  markDirty,
  pendingDays,
  readState,
  writeState,
  type ClickHouseClient,
  type DayBuild,
  type Topology,
} from '@notify-stats/clickhouse';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID } from '@notify-stats/kafka';
import { addDays, todayInLondon } from '@notify-stats/london';
import { sleep, type Logger } from '@notify-stats/runtime';
import type { BuiltDay } from './builder.ts';
import { backfill, backfillMarks, type BackfillProgress } from './backfill.ts';
import { IngestProgress } from './freshness.ts';
import { rollupMetrics } from './metrics.ts';
import type { CycleOutcome } from './observability.ts';
import { RollupRunner } from './runner.ts';
import { Staging } from './staging.ts';

export interface RollupsOptions {
  clickhouse: ClickHouseClient;
  topology?: Topology;
  kafka: Kafka;
  logger: Logger;
  groupId?: string;
  /** Pause between cycles; a cycle also waits for the previous one to finish. */
  intervalMs?: number;
  /** Cron (Europe/London) of the safety rebuild of recent days; empty disables it. */
  safetyCron?: string;
  safetyDays?: number;
  /** Called after every cycle with how it went (observability.ts: metrics and readiness). */
  onCycle?: (outcome: CycleOutcome) => void;
}

export interface RollupsHandle {
  /** Marks the days dirty and rebuilds them (and anything else pending) before resolving. */
  backfill(from: string, to: string, onProgress?: (p: BackfillProgress) => void): Promise<BuiltDay[]>;
  /** Latest freshness watermark (ISO), or null before the first complete cycle. */
  watermark(): string | null;
  status(): Promise<{ watermark: string | null; pending: number; lastBuilds: DayBuild[] }>;
  stop(): Promise<void>;
}

export async function startRollups(opts: RollupsOptions): Promise<RollupsHandle> {
  const { clickhouse, kafka, logger, intervalMs = 1000, safetyDays = 10 } = opts;
  const runner = new RollupRunner(clickhouse, logger, opts.topology);
  const admin = kafka.admin();
  await admin.connect();
  const progress = new IngestProgress(admin, opts.groupId ?? INGEST_GROUP_ID, SOURCE_TOPICS);
  const abandoned = await Staging.dropAbandoned(clickhouse);
  if (abandoned) logger.info({ abandoned }, 'dropped staging tables of earlier runs');

  let watermark = await readState(clickhouse, STATE_KEYS.freshnessWatermark);
  let stopped = false;

  const cycle = async () => {
    await progress.probe();
    const caughtUp = await progress.caughtUpTo();
    await runner.runPending();
    if (caughtUp !== null && (watermark === null || caughtUp > Date.parse(watermark))) {
      watermark = new Date(caughtUp).toISOString();
      await writeState(clickhouse, STATE_KEYS.freshnessWatermark, watermark);
    }
    if (watermark) rollupMetrics.freshnessLagSeconds.set((Date.now() - Date.parse(watermark)) / 1000);
  };

  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        await cycle();
        opts.onCycle?.({ ok: true, at: Date.now(), ms: Date.now() - started });
      } catch (err) {
        logger.error({ err }, 'rollup cycle failed; retrying next cycle');
        opts.onCycle?.({ ok: false, at: Date.now(), error: err });
      }
      await sleep(Math.max(100, intervalMs - (Date.now() - started)));
    }
  })();

  const safety =
    opts.safetyCron && opts.safetyCron.trim()
      ? new Cron(opts.safetyCron, { timezone: 'Europe/London', protect: true }, async () => {
          const today = todayInLondon();
          logger.info({ days: safetyDays }, 'safety rebuild of recent days');
          await markDirty(clickhouse, backfillMarks(addDays(today, -(safetyDays - 1)), today));
        })
      : undefined;

  logger.info({ intervalMs, safetyCron: opts.safetyCron, safetyDays }, 'rollups started');

  return {
    backfill: (from, to, onProgress) => backfill(clickhouse, runner, from, to, onProgress),
    watermark: () => watermark,
    status: async () => ({
      watermark,
      pending: (await pendingDays(clickhouse)).length,
      lastBuilds: await lastBuilds(clickhouse),
    }),
    stop: async () => {
      stopped = true;
      safety?.stop();
      await loop;
      await admin.disconnect();
      logger.info('rollups stopped');
    },
  };
}
