import { STATE_KEYS, lastBuilds, pendingDays, readState, type ClickHouseClient } from '@notify-stats/clickhouse';
import { DeadLetterCounter, INGEST_GROUP_ID, kafkaStatus, type DeadLetterCount, type Kafka, type KafkaStatus } from '@notify-stats/kafka';
import type { Logger } from '@notify-stats/runtime';
import { pipelineMetrics } from './pipeline-metrics.ts';

type Source = 'kafka' | 'clickhouse' | 'dead-letters';

export interface ObserverOptions {
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  logger: Logger;
  /** Sampling period of lag and watermark. */
  everyMs?: number;
  /** Dead letters are listed at most this often (and only when their topics changed). */
  deadLettersEveryMs?: number;
}

/**
 * Watches the pipeline from the outside, the same way in every process (all-in-one, or any
 * service alone): Kafka for the ingest group's lag and the dead letters, ClickHouse's
 * pipeline_state for the freshness watermark. It owns the timer-sampled metrics and answers
 * /admin/pipeline/status where the rollups and the ingest run in other processes.
 */
export class PipelineObserver {
  private readonly admin: ReturnType<Kafka['admin']>;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private readonly counter: DeadLetterCounter;
  private deadLetters: Record<string, DeadLetterCount> | null = null;
  private deadLettersAt = 0;

  constructor(private readonly opts: ObserverOptions) {
    this.admin = opts.kafka.admin();
    this.counter = new DeadLetterCounter(opts.kafka, this.admin);
  }

  /** Samples now and then every `everyMs`; never throws (a failed sample is counted and logged). */
  start(): this {
    const tick = () => {
      this.sampling ??= this.sample().finally(() => (this.sampling = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.opts.everyMs ?? 5000);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    if (this.connected) await this.admin.disconnect();
  }

  /** Dead letters as `dlq list` counts them, as of the last sample (null before the first). */
  deadLetterCounts(): Record<string, DeadLetterCount> | null {
    return this.deadLetters;
  }

  /** Lag, dead letters, watermark, dirty days and last builds, read from Kafka and ClickHouse now. */
  async status(): Promise<{ kafka: KafkaStatus; rollups: { watermark: string | null; pending: number; lastBuilds: unknown[] }; deadLetters: Record<string, DeadLetterCount> | null; ingest: { stalls: null } }> {
    await this.connect();
    const [kafka, watermark, pending, builds] = await Promise.all([
      kafkaStatus(this.admin, INGEST_GROUP_ID),
      readState(this.opts.clickhouse, STATE_KEYS.freshnessWatermark),
      pendingDays(this.opts.clickhouse),
      lastBuilds(this.opts.clickhouse, 10),
    ]);
    // Stalls are known only to the ingest process (its /readyz says them); null means "not known here".
    return { kafka, rollups: { watermark, pending: pending.length, lastBuilds: builds }, deadLetters: this.deadLetters, ingest: { stalls: null } };
  }

  private async connect(): Promise<void> {
    if (this.connected) return;
    await this.admin.connect();
    this.connected = true;
  }

  private async sample(): Promise<void> {
    await this.measure('clickhouse', async () => pipelineMetrics.setWatermark(await readState(this.opts.clickhouse, STATE_KEYS.freshnessWatermark)));
    await this.measure('kafka', async () => {
      await this.connect();
      const status = await kafkaStatus(this.admin, INGEST_GROUP_ID);
      for (const p of status.partitions) pipelineMetrics.groupLag.set({ topic: p.topic, partition: String(p.partition) }, p.lag);
      for (const [topic, n] of Object.entries(status.deadLetters)) pipelineMetrics.dlqMessages.set({ topic }, n);
    });
    if (Date.now() - this.deadLettersAt < (this.opts.deadLettersEveryMs ?? 15_000)) return;
    await this.measure('dead-letters', async () => {
      await this.connect();
      this.deadLetters = await this.counter.count();
      this.deadLettersAt = Date.now();
      for (const [topic, c] of Object.entries(this.deadLetters)) {
        pipelineMetrics.deadLetters.set({ topic, state: 'waiting' }, c.waiting);
        pipelineMetrics.deadLetters.set({ topic, state: 'redriven' }, c.redriven);
      }
    });
  }

  private async measure(source: Source, body: () => Promise<void>): Promise<void> {
    try {
      await body();
      pipelineMetrics.sampledAt.set({ source }, Date.now() / 1000);
    } catch (err) {
      pipelineMetrics.sampleFailures.inc({ source });
      this.opts.logger.warn({ err, source }, 'pipeline sample failed; trying again at the next one');
    }
  }
}
