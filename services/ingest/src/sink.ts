import type { Producer } from 'kafkajs';
import { dlqTopicOf } from '@notify-stats/events';
import { RAW_TABLES, insertReferenceRows, insertRows, markDirty, type ClickHouseClient } from '@notify-stats/clickhouse';
import type { BatchOutcome, DeadLetter } from './process-batch.ts';

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
    for (const group of bySize(outcome.deadLetters)) {
      await this.producer.send({
        topic: dlqTopicOf(topic),
        acks: -1,
        messages: group.map((d) => ({ key: d.key, value: d.value, headers: d.headers })),
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

// The broker refuses requests over 1 MB; dead letters include oversized messages, so a chunk's
// dead letters go out in requests of bounded size (one oversized message fits alone).
const MAX_REQUEST_BYTES = 512 * 1024;

function bySize(letters: readonly DeadLetter[]): DeadLetter[][] {
  const groups: DeadLetter[][] = [];
  let current: DeadLetter[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const size = (letter.value?.length ?? 0) + (letter.key?.length ?? 0) + 512;
    if (current.length && bytes + size > MAX_REQUEST_BYTES) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(letter);
    bytes += size;
  }
  if (current.length) groups.push(current);
  return groups;
}
