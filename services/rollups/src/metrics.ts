import { Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@notify-stats/runtime';

export const rollupMetrics = {
  dayBuildSeconds: new Histogram({
    name: 'notify_stats_rollup_day_build_seconds',
    help: 'Time to rebuild one day of one scope',
    labelNames: ['scope'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [metricsRegistry],
  }),
  pendingDays: new Gauge({
    name: 'notify_stats_rollup_dirty_days',
    help: 'Dirty (scope, day) pairs waiting at the start of the last cycle',
    registers: [metricsRegistry],
  }),
  freshnessLagSeconds: new Gauge({
    name: 'notify_stats_freshness_lag_seconds',
    help: 'Now minus the freshness watermark',
    registers: [metricsRegistry],
  }),
};
