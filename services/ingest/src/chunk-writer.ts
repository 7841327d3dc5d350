import { backoffMs as exponentialBackoffMs, sleep } from '@notify-stats/runtime';
import { deadLetterOf, type BatchOutcome, type DeadLetter, type IncomingMessage } from './process-batch.ts';
import { RowsNotStored, type BatchSink } from './sink.ts';
import { classifyStorageError, engineErrorType, type StorageFailureKind } from './storage-errors.ts';

/** An engine exception no policy knows is retried this many times before it is treated as the data's fault. */
const UNKNOWN_ATTEMPTS = 3;

export interface ChunkWriterDeps {
  sink: BatchSink;
  topic: string;
  partition: number;
  /** Decides rows and dead letters of some messages (processBatch for this topic and partition). */
  process(messages: readonly IncomingMessage[]): BatchOutcome;
  /** True once waiting is pointless: shutdown, or the partition went to another member. */
  shouldStop(): boolean;
  /** Each failed attempt, before the wait that follows it (metrics, logs, heartbeats, stall tracking). */
  onFailure(err: unknown, kind: StorageFailureKind, attempt: number, delayMs: number): void;
  now?: () => Date;
}

export interface ChunkWritten {
  stored: number;
  deadLettered: number;
  /** Of the dead letters, those whose rows the engine refused. */
  refused: number;
}

/** Full jitter over the capped exponential: retries of many partitions do not beat in step. */
export const backoffMs = (attempt: number, random = Math.random) => exponentialBackoffMs(attempt, { random });

const empty = (deadLetters: DeadLetter[]): BatchOutcome => ({
  notificationEvents: [],
  letterDespatches: [],
  inboundSms: [],
  reference: new Map(),
  deadLetters,
  dirty: [],
  valid: 0,
});

/**
 * Writes a chunk, whatever its messages do to storage. Transient failures wait with backoff and
 * keep the chunk whole (nothing is committed before it is written). A refusal of the rows is
 * permanent: the chunk is halved until each refused message is alone, and that message is
 * dead-lettered with the engine's own message while the rest are stored. Resolves once every
 * message is stored or dead-lettered; rejects only when `shouldStop` says so.
 */
export async function writeChunk(messages: readonly IncomingMessage[], deps: ChunkWriterDeps): Promise<ChunkWritten> {
  return writePart(messages, deps.process(messages), null, deps);
}

async function writePart(messages: readonly IncomingMessage[], first: BatchOutcome, poison: string | null, deps: ChunkWriterDeps): Promise<ChunkWritten> {
  let outcome = first;
  let unknown = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.sink.write(deps.topic, outcome);
      return { stored: outcome.valid, deadLettered: outcome.deadLetters.length, refused: 0 };
    } catch (err) {
      let kind: StorageFailureKind = 'transient';
      if (err instanceof RowsNotStored) {
        // The dead letters went out before the rows failed: a retry must not publish them twice.
        const sent = outcome.deadLetters.length;
        outcome = { ...outcome, deadLetters: [] };
        kind = classifyStorageError(err.cause);
        const type = engineErrorType(err.cause);
        // Within an isolation, the exception that started it is known to be the data's.
        if (kind === 'unknown' && (type === poison || ++unknown >= UNKNOWN_ATTEMPTS)) kind = 'data';
        if (kind === 'data') {
          deps.onFailure(err.cause, kind, attempt, 0);
          const isolated = await isolate(messages, err.cause, type, deps);
          return { ...isolated, deadLettered: isolated.deadLettered + sent };
        }
      }
      if (deps.shouldStop()) throw err;
      const delayMs = backoffMs(attempt);
      deps.onFailure(err instanceof RowsNotStored ? err.cause : err, kind, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}

/** Halves until the refused messages are alone; those become dead letters, the rest are stored. */
async function isolate(messages: readonly IncomingMessage[], cause: unknown, type: string | null, deps: ChunkWriterDeps): Promise<ChunkWritten> {
  if (messages.length === 1) {
    const message = messages[0] as IncomingMessage;
    const reason = `storage refused the message: ${String((cause as Error)?.message ?? cause).slice(0, 500)}`;
    const letter = deadLetterOf(message, reason, deps.topic, deps.partition, (deps.now ?? (() => new Date()))());
    const written = await writePart(messages, empty([letter]), type, deps);
    return { stored: 0, deadLettered: written.deadLettered, refused: 1 };
  }
  const middle = Math.ceil(messages.length / 2);
  const total: ChunkWritten = { stored: 0, deadLettered: 0, refused: 0 };
  for (const half of [messages.slice(0, middle), messages.slice(middle)]) {
    // This half's own dead letters (invalid messages) were published with the whole chunk.
    const outcome = { ...deps.process(half), deadLetters: [] };
    const written = await writePart(half, outcome, type, deps);
    total.stored += written.stored;
    total.deadLettered += written.deadLettered;
    total.refused += written.refused;
  }
  return total;
}
