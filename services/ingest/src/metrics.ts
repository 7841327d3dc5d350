import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@notify-stats/runtime';

export const ingestMetrics = {
  events: new Counter({
    name: 'notify_stats_ingest_events_total',
    help: 'Messages taken from the source topics, by topic and outcome (stored or dead-lettered)',
    labelNames: ['topic', 'outcome'] as const,
    registers: [metricsRegistry],
  }),
  batchSize: new Histogram({
    name: 'notify_stats_ingest_batch_size',
    help: 'Messages per processed chunk',
    buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000],
    registers: [metricsRegistry],
  }),
  insertSeconds: new Histogram({
    name: 'notify_stats_ingest_write_seconds',
    help: 'Time to write one chunk (dead letters, raw rows, dirty marks)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metricsRegistry],
  }),
  lag: new Gauge({
    name: 'notify_stats_ingest_consumer_lag',
    help: 'Messages behind the partition end, as of the last written chunk',
    labelNames: ['topic', 'partition'] as const,
    registers: [metricsRegistry],
  }),
  writeFailures: new Counter({
    name: 'notify_stats_ingest_write_failures_total',
    help: 'Failed write attempts, by kind: transient and unknown ones are retried with backoff (offsets stay uncommitted), data ones isolate the refused message',
    labelNames: ['kind'] as const,
    registers: [metricsRegistry],
  }),
  refused: new Counter({
    name: 'notify_stats_ingest_refused_by_storage_total',
    help: 'Valid messages whose rows the engine refused, isolated and dead-lettered with its message',
    labelNames: ['topic'] as const,
    registers: [metricsRegistry],
  }),
  stalledSeconds: new Gauge({
    name: 'notify_stats_ingest_partition_stalled_seconds',
    help: 'How long writes of a partition have been failing without progress (0 when it moves)',
    labelNames: ['topic', 'partition'] as const,
    registers: [metricsRegistry],
  }),
  consumerRestarts: new Counter({
    name: 'notify_stats_ingest_consumer_restarts_total',
    help: 'Consumers replaced because a partition they own lagged with nothing committed and no write failing (stuck-partition watchdog)',
    registers: [metricsRegistry],
  }),
};
