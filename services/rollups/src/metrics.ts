import { Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@notify-stats/runtime';

export const rollupMetrics = {
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
