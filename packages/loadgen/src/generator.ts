// The message stream: reference data, then day after day of lifecycles (with duplicates and
// invalid messages mixed in), then the late status changes, newest first.
import { daysInRange } from '@notify-stats/london';
import { chunkMessages, MAX_CHUNK_MESSAGES, type ChunkContext, type ChunkPlan } from './chunk.ts';
import { weights } from './ids.ts';
import type { LoadMessage } from './message.ts';
import { resolveOptions, LoadgenOptionsError, type LoadgenOptions, type ResolvedOptions } from './options.ts';
import { buildReferenceData, type ReferenceData, type ReferenceSummary } from './reference-data.ts';
import { Serialiser } from './serialise.ts';

export interface LoadGeneration {
  options: ResolvedOptions;
  reference: ReferenceSummary;
  /** How many of the messages are reference data (they come first). */
  referenceCount: number;
  /** Exactly `options.count`. */
  total: number;
  /** Chunks in the stream (see chunk.ts); a notification's messages all lie in one chunk. */
  chunkCount: number;
  /**
   * The whole stream, lazily; every call starts over and yields the same messages. With a shard,
   * only that shard's share of the same stream: the reference data in shard 0, and chunks
   * `index`, `index + count`, ..., its late ones last.
   */
  messages(shard?: Shard): Generator<LoadMessage, void, undefined>;
  /**
   * A producer's share when chunks are handed out as producers ask for them: the reference data
   * first if `withReference`, then each chunk `next` gives, then this share's late messages.
   */
  blocks(next: () => Promise<number | null>, withReference: boolean): AsyncGenerator<Block, void, undefined>;
}

/** Messages that go out together: reference data never shares a block with events. */
export interface Block {
  messages: LoadMessage[];
  reference: boolean;
}

export interface Shard {
  index: number;
  count: number;
}

/**
 * A deterministic platform for a seed. The stream has exactly `count` messages. The event budget
 * is split over the days (weekdays busier) and each day into chunks of at most
 * MAX_CHUNK_MESSAGES, each generated from its own random stream with an exact budget: the last
 * notification of a chunk may stop short of its final status (an in-flight notification, which
 * the tally counts as such since it folds the messages actually produced).
 */
export function generate(input: LoadgenOptions): LoadGeneration {
  const options = resolveOptions(input);
  const reference = buildReferenceData(options);
  if (options.count < reference.messages.length) {
    throw new LoadgenOptionsError(
      input.duration === undefined ? 'count' : 'duration',
      `gives ${options.count} messages, fewer than the reference data alone (${reference.messages.length} messages for ${options.services} services)`,
    );
  }
  const chunks = plan(options, reference.messages.length);
  return {
    options,
    reference: reference.summary,
    referenceCount: reference.messages.length,
    total: options.count,
    chunkCount: chunks.length,
    messages: (shard?: Shard) => stream(options, reference, chunks, shard ?? { index: 0, count: 1 }),
    blocks: (next, withReference) => blocks(options, reference, chunks, next, withReference),
  };
}

const dayWeight = (day: string) => {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return weekday === 0 || weekday === 6 ? 0.35 : 1;
};

/** Splits `total` in proportion to `weights`, exactly (cumulative rounding). */
function split(total: number, parts: readonly number[]): number[] {
  const sum = parts.reduce((a, b) => a + b, 0);
  let acc = 0;
  let given = 0;
  return parts.map((w) => {
    acc += w;
    const upTo = Math.round((total * acc) / sum);
    const share = upTo - given;
    given = upTo;
    return share;
  });
}

/** The chunks, in stream order: days in order, each cut into equal slices of its budget. */
function plan(o: ResolvedOptions, referenceCount: number): ChunkPlan[] {
  const invalid = Math.min(Math.round(o.count * o.invalidFraction), o.count - referenceCount);
  const events = o.count - referenceCount - invalid;
  const out: ChunkPlan[] = [];
  const days = daysInRange(o.firstDay, o.endDay);
  const perDay = split(events, days.map(dayWeight));
  let index = 0;
  const chunks = perDay.reduce((a, n) => a + Math.max(1, Math.ceil(n / MAX_CHUNK_MESSAGES)), 0);
  const invalidPerChunk = split(invalid, Array.from({ length: chunks }, () => 1));
  for (let d = 0; d < days.length; d++) {
    const slices = Math.max(1, Math.ceil(perDay[d]! / MAX_CHUNK_MESSAGES));
    const budgets = split(perDay[d]!, Array.from({ length: slices }, () => 1));
    for (let s = 0; s < slices; s++, index++) {
      out.push({ index, day: days[d]!, from: s / slices, to: (s + 1) / slices, budget: budgets[s]!, invalid: invalidPerChunk[index]! });
    }
  }
  return out;
}

function context(o: ResolvedOptions, ref: ReferenceData): ChunkContext {
  return { options: o, services: weights(ref.traffic.map((t) => [t, t.weight] as const)), traffic: ref.traffic, ser: new Serialiser(), late: [] };
}

const lateFirst = (late: readonly LoadMessage[]) => [...late].reverse();

function* stream(o: ResolvedOptions, ref: ReferenceData, chunks: readonly ChunkPlan[], shard: Shard): Generator<LoadMessage, void, undefined> {
  if (shard.index === 0) yield* ref.messages;
  const cx = context(o, ref);
  for (let c = shard.index; c < chunks.length; c += shard.count) yield* chunkMessages(chunks[c]!, cx);
  yield* lateFirst(cx.late);
}

async function* blocks(
  o: ResolvedOptions,
  ref: ReferenceData,
  chunks: readonly ChunkPlan[],
  next: () => Promise<number | null>,
  withReference: boolean,
): AsyncGenerator<Block, void, undefined> {
  if (withReference && ref.messages.length) yield { messages: ref.messages, reference: true };
  const cx = context(o, ref);
  for (let c = await next(); c !== null; c = await next()) {
    if (c < 0 || c >= chunks.length) throw new RangeError(`no chunk ${c} (there are ${chunks.length})`);
    yield { messages: chunkMessages(chunks[c]!, cx), reference: false };
  }
  if (cx.late.length) yield { messages: lateFirst(cx.late), reference: false };
}
