// writeChunk: what a failed write does, per failure kind, with a sink that fails on purpose.
import { describe, expect, it } from 'vitest';
import { TOPICS } from '@notify-stats/events';
import { backoffMs, writeChunk, type ChunkWriterDeps } from '../src/chunk-writer.ts';
import { processBatch, type BatchOutcome, type IncomingMessage } from '../src/process-batch.ts';
import { RowsNotStored, type BatchSink } from '../src/sink.ts';
import { classifyStorageError } from '../src/storage-errors.ts';
import { numberedIds, rawMessage, statusFields } from './fixtures.ts';

const engineError = (type: string, code: string, message: string) => Object.assign(new Error(message), { type, code });
const REFUSED = engineError('CANNOT_PARSE_ESCAPE_SEQUENCE', '25', 'Cannot parse escape sequence: missing second part of surrogate pair');

const messages = (sentBy: (i: number) => string, n: number): IncomingMessage[] =>
  Array.from({ length: n }, (_, i) => rawMessage(i, null, statusFields({ ...numberedIds(i), sent_by: sentBy(i) })));

/** Stores rows unless one of them is refused; records every write and every dead letter. */
class RecordingSink implements BatchSink {
  stored: string[] = [];
  deadLetters: Array<{ offset: string; reason: string }> = [];
  writes = 0;
  constructor(private readonly fail: (outcome: BatchOutcome) => Error | null) {}
  async write(_topic: string, outcome: BatchOutcome): Promise<void> {
    this.writes++;
    this.deadLetters.push(...outcome.deadLetters.map((d) => ({ offset: d.offset, reason: d.reason })));
    const err = this.fail(outcome);
    if (err) throw new RowsNotStored(err);
    this.stored.push(...outcome.notificationEvents.map((r) => r.source_offset));
  }
}

const deps = (sink: BatchSink, over: Partial<ChunkWriterDeps> = {}): ChunkWriterDeps & { failures: string[] } => {
  const failures: string[] = [];
  return {
    sink,
    topic: TOPICS.notificationStatus,
    partition: 3,
    process: (m) => processBatch(TOPICS.notificationStatus, 3, m),
    shouldStop: () => false,
    onFailure: (_err, kind) => failures.push(kind),
    failures,
    ...over,
  };
};

describe('rows the engine refuses', () => {
  it('isolates the refused messages, dead-letters them with the engine message, stores the rest', async () => {
    const poison = new Set([17, 18, 600]);
    const chunk = messages((i) => (poison.has(i) ? 'POISON' : 'mmg'), 1000);
    const sink = new RecordingSink((o) => (o.notificationEvents.some((r) => r.sent_by === 'POISON') ? REFUSED : null));
    const d = deps(sink);
    const written = await writeChunk(chunk, d);
    expect(written).toEqual({ stored: 997, deadLettered: 3, refused: 3 });
    expect(sink.stored.sort((a, b) => Number(a) - Number(b))).toEqual(chunk.map((m) => m.offset).filter((o) => !poison.has(Number(o))));
    expect(sink.deadLetters.map((l) => l.offset).sort()).toEqual(['17', '18', '600']);
    for (const l of sink.deadLetters) expect(l.reason).toBe('storage refused the message: Cannot parse escape sequence: missing second part of surrogate pair');
    // Halving: about 2 x log2(1000) writes per refused message, not one write per message.
    expect(sink.writes).toBeLessThan(100);
  });

  it('publishes the invalid messages of a refused chunk once, not once per half', async () => {
    const chunk = [...messages((i) => (i === 5 ? 'POISON' : 'mmg'), 8), { key: null, value: Buffer.from('{not json'), offset: '8' }];
    const sink = new RecordingSink((o) => (o.notificationEvents.some((r) => r.sent_by === 'POISON') ? REFUSED : null));
    const written = await writeChunk(chunk, deps(sink));
    expect(written).toEqual({ stored: 7, deadLettered: 2, refused: 1 });
    expect(sink.deadLetters.map((l) => l.offset).sort()).toEqual(['5', '8']);
  });

  it('treats an exception no policy knows as the data\'s after a few attempts', async () => {
    const odd = engineError('SOMETHING_NEW', '9999', 'a new kind of refusal');
    const chunk = messages((i) => (i === 2 ? 'POISON' : 'mmg'), 4);
    const sink = new RecordingSink((o) => (o.notificationEvents.some((r) => r.sent_by === 'POISON') ? odd : null));
    const d = deps(sink);
    expect(await writeChunk(chunk, d)).toEqual({ stored: 3, deadLettered: 1, refused: 1 });
    // Two retried attempts of the whole chunk, then isolation, where the same exception is the data's at once.
    expect(d.failures.slice(0, 3)).toEqual(['unknown', 'unknown', 'data']);
    expect(d.failures.filter((k) => k === 'unknown')).toHaveLength(2);
  });
});

describe('transient failures', () => {
  it('retries the whole chunk, dead-letters nothing, and stores it once the engine answers', async () => {
    let outage = 3;
    const down = engineError('MEMORY_LIMIT_EXCEEDED', '241', 'Memory limit exceeded');
    const sink = new RecordingSink(() => (outage-- > 0 ? down : null));
    const d = deps(sink);
    const chunk = messages(() => 'mmg', 50);
    expect(await writeChunk(chunk, d)).toEqual({ stored: 50, deadLettered: 0, refused: 0 });
    expect(d.failures).toEqual(['transient', 'transient', 'transient']);
    expect(sink.deadLetters).toEqual([]);
  });

  it('gives up only when told to stop, and throws so nothing is committed', async () => {
    let stop = false;
    const sink: BatchSink = {
      write: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    };
    const d = deps(sink, { shouldStop: () => stop, onFailure: (_e, _k, attempt) => (stop = attempt >= 2) });
    await expect(writeChunk(messages(() => 'mmg', 5), d)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('waits with full jitter under a capped exponential', () => {
    expect(backoffMs(1, () => 0.999)).toBeLessThanOrEqual(200);
    expect(backoffMs(4, () => 1)).toBe(1600);
    expect(backoffMs(30, () => 1)).toBe(10_000);
    expect(backoffMs(30, () => 0)).toBe(0);
  });
});

describe('failure kinds', () => {
  it.each([
    [REFUSED, 'data'],
    [engineError('TOO_MANY_PARTS', '252', 'Too many partitions for single INSERT block (more than 100)'), 'data'],
    [engineError('TOO_MANY_PARTS', '252', 'Too many parts (300). Merges are processing significantly slower than inserts'), 'transient'],
    [engineError('CANNOT_PARSE_DATETIME', '41', 'Cannot parse datetime'), 'data'],
    [engineError('MEMORY_LIMIT_EXCEEDED', '241', 'Memory limit exceeded'), 'transient'],
    [engineError('UNKNOWN_TABLE', '60', 'Unknown table'), 'transient'],
    [engineError('SOMETHING_NEW', '9999', 'new'), 'unknown'],
    [new Error('socket hang up'), 'transient'],
    [Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), 'transient'],
  ])('%s is %s', (err, kind) => {
    expect(classifyStorageError(err)).toBe(kind);
  });
});
