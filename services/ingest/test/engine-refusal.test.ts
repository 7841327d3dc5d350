// The real embedded engine behind the sink: rows it refuses are isolated and dead-lettered with
// its own message; valid rows that stress it (a hundred months in one INSERT) are stored.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Producer, ProducerRecord } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openClickhouse, queryRows, type Clickhouse } from '@notify-stats/clickhouse';
import { DLQ_HEADERS, TOPICS } from '@notify-stats/events';
import { writeChunk } from '../src/chunk-writer.ts';
import { processBatch, type IncomingMessage } from '../src/process-batch.ts';
import { ClickhouseSink } from '../src/sink.ts';
import { numberedIds, rawMessage, statusFields } from './fixtures.ts';

let ch: Clickhouse;
beforeAll(async () => {
  ch = await openClickhouse({ path: mkdtempSync(path.join(tmpdir(), 'notify-stats-refusal-')) });
  await migrate(ch.client);
}, 60_000);
afterAll(async () => ch?.close());

/** Records what would have gone to the dead-letter topics. */
const recordingProducer = () => {
  const sent: ProducerRecord[] = [];
  return { sent, producer: { send: async (r: ProducerRecord) => void sent.push(r) } as unknown as Producer };
};

const event = (i: number, createdAt: string, sentBy = 'mmg') =>
  rawMessage(i, null, statusFields({ ...numberedIds(i), created_at: createdAt, updated_at: createdAt, sent_by: sentBy }));

const count = async (where: string) => Number((await queryRows<{ n: number }>(ch.client, `SELECT count() AS n FROM notification_events WHERE ${where}`))[0]?.n);

describe('writes against the embedded engine', () => {
  it('stores 101 valid events created in 101 different months, written as one chunk', async () => {
    const chunk: IncomingMessage[] = Array.from({ length: 101 }, (_, i) => {
      const month = new Date(Date.UTC(2010, i, 15, 12));
      return event(i, month.toISOString(), 'months');
    });
    const { producer } = recordingProducer();
    const failures: string[] = [];
    const written = await writeChunk(chunk, {
      sink: new ClickhouseSink(ch.client, producer),
      topic: TOPICS.notificationStatus,
      partition: 0,
      process: (m) => processBatch(TOPICS.notificationStatus, 0, m),
      shouldStop: () => false,
      onFailure: (err) => failures.push(String(err)),
    });
    expect(written).toEqual({ stored: 101, deadLettered: 0, refused: 0 });
    // In one INSERT: not halved after a refusal.
    expect(failures).toEqual([]);
    expect(await count("sent_by = 'months'")).toBe(101);
  });

  it('dead-letters the one row the engine refuses, with its message, and stores the other 99', async () => {
    // The decoder repairs lone surrogates; this process step does not, to let the engine refuse one.
    const chunk = Array.from({ length: 100 }, (_, i) => event(1000 + i, '2024-04-15T10:00:00Z', 'refusal'));
    const { sent, producer } = recordingProducer();
    const failures: string[] = [];
    const written = await writeChunk(chunk, {
      sink: new ClickhouseSink(ch.client, producer),
      topic: TOPICS.notificationStatus,
      partition: 4,
      process: (m) => {
        const out = processBatch(TOPICS.notificationStatus, 4, m);
        for (const row of out.notificationEvents) if (row.source_offset === '1042') row.sent_by = 'mmg\ud800';
        return out;
      },
      shouldStop: () => false,
      onFailure: (_err, kind) => failures.push(kind),
    });
    expect(written).toEqual({ stored: 99, deadLettered: 1, refused: 1 });
    expect(failures.every((k) => k === 'data')).toBe(true);
    expect(await count("sent_by = 'refusal'")).toBe(99);
    const letters = sent.flatMap((r) => r.messages.map((m) => ({ topic: r.topic, headers: m.headers ?? {} })));
    expect(letters).toHaveLength(1);
    expect(letters[0]?.topic).toBe(`${TOPICS.notificationStatus}.dlq`);
    expect(letters[0]?.headers[DLQ_HEADERS.sourceOffset]).toBe('1042');
    expect(letters[0]?.headers[DLQ_HEADERS.sourcePartition]).toBe('4');
    expect(String(letters[0]?.headers[DLQ_HEADERS.reason])).toMatch(/^storage refused the message: .*surrogate/);
  });
});
