import type { Producer } from 'kafkajs';
import { dlqTopicOf } from '@notify-stats/events';
import { RAW_TABLES, insertReferenceRows, insertRows, markDirty, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { BatchOutcome } from './process-batch.ts';

/** Where a processed chunk goes. Tests inject failing sinks to prove nothing is committed on failure. */
export interface BatchSink {
  write(topic: string, outcome: BatchOutcome): Promise<void>;
}

/**
 * Dead letters first, then the raw rows, then the dirty marks: a mark is written only after the
 * rows it stands for are visible, which is what lets the rollups trust "built after the mark".
 * Every step is idempotent, so a retried or redelivered chunk writes the same result again.
 */
export class ClickhouseSink implements BatchSink {
  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly producer: Producer,
  ) {}

  async write(topic: string, outcome: BatchOutcome): Promise<void> {
    if (outcome.deadLetters.length) {
      await this.producer.send({
        topic: dlqTopicOf(topic),
        acks: -1,
        messages: outcome.deadLetters.map((d) => ({ key: d.key, value: d.value, headers: d.headers })),
      });
    }
    await Promise.all([
      insertRows(this.clickhouse, RAW_TABLES.notificationEvents, outcome.notificationEvents),
      insertRows(this.clickhouse, RAW_TABLES.letterDespatches, outcome.letterDespatches),
      insertRows(this.clickhouse, RAW_TABLES.inboundSms, outcome.inboundSms),
      insertReferenceRows(this.clickhouse, outcome.reference),
    ]);
    await markDirty(this.clickhouse, outcome.dirty);
  }
}
