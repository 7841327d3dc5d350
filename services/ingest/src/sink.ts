import type { Producer } from 'kafkajs';
import { RAW_TABLES, insertReferenceRows, insertRows, markDirty, type ClickHouseClient } from '@notify-stats/clickhouse';
import { DeadLetterPublisher } from './dead-letters.ts';
import type { BatchOutcome } from './process-batch.ts';

/** Where a processed chunk goes. Tests inject failing sinks to prove nothing is committed on failure. */
export interface BatchSink {
  write(topic: string, outcome: BatchOutcome): Promise<void>;
}

/**
 * The chunk's dead letters were published, then storage failed: `cause` is the engine's error.
 * The worker decides from it whether to wait (transient) or isolate the refused rows (data).
 */
export class RowsNotStored extends Error {
  override name = 'RowsNotStored';
  constructor(override readonly cause: unknown) {
    super(`storage failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * Dead letters first, then the raw rows, then the dirty marks: a mark is written only after the
 * rows it stands for are visible, which is what lets the rollups trust "built after the mark".
 * Every step is idempotent, so a retried or redelivered chunk writes the same result again.
 */
export class ClickhouseSink implements BatchSink {
  private readonly deadLetters: DeadLetterPublisher;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    producer: Producer,
  ) {
    this.deadLetters = new DeadLetterPublisher(producer);
  }

  async write(topic: string, outcome: BatchOutcome): Promise<void> {
    await this.deadLetters.send(topic, outcome.deadLetters);
    try {
      await Promise.all([
        insertRows(this.clickhouse, RAW_TABLES.notificationEvents, outcome.notificationEvents),
        insertRows(this.clickhouse, RAW_TABLES.letterDespatches, outcome.letterDespatches),
        insertRows(this.clickhouse, RAW_TABLES.inboundSms, outcome.inboundSms),
        insertReferenceRows(this.clickhouse, outcome.reference),
      ]);
      await markDirty(this.clickhouse, outcome.dirty);
    } catch (err) {
      throw new RowsNotStored(err);
    }
  }
}
