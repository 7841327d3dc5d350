import { Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@notify-stats/runtime';

const stepSeconds = new Histogram({
  name: 'notify_stats_rollup_step_seconds',
  help: 'Time of one part of a rollup cycle, by step (the probe, the offsets, each stage-*, apply-*, record-* statement): which one a slow cycle spends its time in',
  labelNames: ['step'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const rollupMetrics = {
  stepSeconds,
  /** Runs `f`, observing its time under `step` (whether it succeeds or not). */
  async timed<T>(step: string, f: () => Promise<T>): Promise<T> {
    const end = stepSeconds.startTimer({ step });
    try {
      return await f();
    } finally {
      end();
    }
  },
  cycleSeconds: new Histogram({
    name: 'notify_stats_rollup_cycle_seconds',
    help: 'Time of one rollup cycle, by kind (window: new events; raw and correct: repair slices)',
    labelNames: ['kind'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [metricsRegistry],
  }),
  windowOffsets: new Gauge({
    name: 'notify_stats_rollup_window_offsets',
    help: 'Kafka offsets the last window cycle read (0 when the facts had caught up with the ingest)',
    registers: [metricsRegistry],
  }),
  repairSlicesQueued: new Gauge({
    name: 'notify_stats_rollup_repair_slices_queued',
    help: 'Repair days and slices waiting to run between window cycles',
    registers: [metricsRegistry],
  }),
};
