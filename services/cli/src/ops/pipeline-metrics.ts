import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '@notify-stats/runtime';

let watermarkMs: number | null = null;

/**
 * What the pipeline observer samples on a timer, from Kafka and ClickHouse themselves, so that no
 * figure depends on a write or a cycle having just happened: a stalled consumer still shows its
 * growing lag, failing rollups an ageing watermark, a failing sampler its failures.
 */
export const pipelineMetrics = {
  groupLag: new Gauge({
    name: 'notify_stats_consumer_group_lag',
    help: 'Messages behind the partition end for the ingest group (end minus committed offset), sampled on a timer',
    labelNames: ['topic', 'partition'] as const,
    registers: [metricsRegistry],
  }),
  dlqMessages: new Gauge({
    name: 'notify_stats_dlq_messages',
    help: 'Messages held by each dead-letter topic (end minus start offset; redriven ones stay until retention)',
    labelNames: ['topic'] as const,
    registers: [metricsRegistry],
  }),
  deadLetters: new Gauge({
    name: 'notify_stats_dlq_dead_letters',
    help: 'Dead letters as `dlq list` counts them, by state: waiting (not redriven) or redriven',
    labelNames: ['topic', 'state'] as const,
    registers: [metricsRegistry],
  }),
  watermark: new Gauge({
    name: 'notify_stats_freshness_watermark_timestamp_seconds',
    help: 'The freshness watermark (unix time) read from pipeline_state: every event produced before it is in the reports',
    registers: [metricsRegistry],
  }),
  watermarkAge: new Gauge({
    name: 'notify_stats_freshness_watermark_age_seconds',
    help: 'Now minus the freshness watermark, computed when scraped (it grows while the watermark stands still)',
    registers: [metricsRegistry],
    collect() {
      if (watermarkMs !== null) this.set((Date.now() - watermarkMs) / 1000);
    },
  }),
  sampledAt: new Gauge({
    name: 'notify_stats_pipeline_sample_timestamp_seconds',
    help: 'Unix time of the last successful sample, by source (kafka, clickhouse, dead-letters)',
    labelNames: ['source'] as const,
    registers: [metricsRegistry],
  }),
  sampleFailures: new Counter({
    name: 'notify_stats_pipeline_sample_failures_total',
    help: 'Samples that failed, by source (kafka, clickhouse, dead-letters)',
    labelNames: ['source'] as const,
    registers: [metricsRegistry],
  }),
  setWatermark(iso: string | null): void {
    watermarkMs = iso ? Date.parse(iso) : null;
    if (watermarkMs !== null) this.watermark.set(watermarkMs / 1000);
  },
};
