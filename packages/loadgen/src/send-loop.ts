// The sending loop one thread runs: batches from its share of the stream, a few sends in flight,
// each acknowledged batch folded into the tally.
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { sendBatchFully } from '@notify-stats/kafka/send-fully';
import type { Batcher } from './batcher.ts';
import type { LoadMessage } from './message.ts';
import { partitionOf } from './partition.ts';
import type { TokenBucket } from './rate-limiter.ts';
import type { TallyBuilder } from './tally.ts';

/**
 * kafkajs messages with the partition already chosen (Kafka's default partitioner, from the hash
 * computed once per notification): kafkajs's own murmur2 runs on 64-bit Long objects and would
 * cost more than the rest of the send. Lean objects, as kafkajs copies every field it is given.
 */
export function topicMessages(batch: readonly LoadMessage[], partitions: ReadonlyMap<string, number>): TopicMessages[] {
  const groups = new Map<string, Message[]>();
  for (const m of batch) {
    let g = groups.get(m.topic);
    if (!g) groups.set(m.topic, (g = []));
    g.push({ key: m.key, value: m.value, partition: partitionOf(m.keyHash, partitions.get(m.topic) ?? 1) });
  }
  return [...groups].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * How old a load-generator producer's metadata may grow (kafkajs's default is 5 minutes): a
 * partition added while it runs is known to it within this, so sendBatchFully's spaced rounds
 * reach it.
 */
const METADATA_MAX_AGE_MS = 5_000;

/** A producer as every producing thread of the load generator makes it. */
export const loadgenProducer = (kafka: Kafka): Producer =>
  kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, metadataMaxAge: METADATA_MAX_AGE_MS });

export interface SendLoop {
  producers: readonly Producer[];
  batcher: Batcher;
  tally: TallyBuilder;
  partitions: ReadonlyMap<string, number>;
  batchSize: number;
  inFlight: number;
  bucket: TokenBucket | null;
  signal: AbortSignal;
  /** Called once the reference data (if any in this share) is acknowledged, before any event is sent. */
  onReferenceDone?: () => void;
  /** Events wait for this (another thread's reference data). */
  eventsAllowed?: Promise<void>;
  onAcknowledged?: (count: number) => void;
}

/** Runs until the share is sent, the signal aborts (after the sends in flight) or a send fails. */
export async function sendLoop(o: SendLoop): Promise<{ acknowledged: number; failure: unknown }> {
  let acknowledged = 0;
  let failure: unknown = null;
  let turn = 0;
  let eventsStarted = false;
  const inFlight = new Set<Promise<void>>();
  const send = (messages: LoadMessage[]): Promise<void> => {
    const producer = o.producers[turn++ % o.producers.length]!;
    const p: Promise<void> = sendBatchFully(producer, { topicMessages: topicMessages(messages, o.partitions), acks: -1, compression: CompressionTypes.None })
      .then(
        () => {
          o.tally.addAll(messages);
          acknowledged += messages.length;
          o.onAcknowledged?.(messages.length);
        },
        (err: unknown) => {
          failure ??= err;
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    return p;
  };
  const startEvents = async () => {
    eventsStarted = true;
    o.onReferenceDone?.();
    await o.eventsAllowed;
  };

  try {
    while (!o.signal.aborted && failure === null) {
      const batch = await o.batcher.next(o.batchSize);
      if (!batch) break;
      if (!batch.reference && !eventsStarted) await startEvents();
      if (o.bucket) await o.bucket.take(batch.messages.length, o.signal);
      if (o.signal.aborted) break;
      const sent = send(batch.messages);
      // Reference data is acknowledged before anything else goes.
      if (batch.reference) await sent;
      while (inFlight.size >= o.inFlight) await Promise.race(inFlight);
    }
  } catch (err) {
    failure ??= err;
  }
  if (!eventsStarted) o.onReferenceDone?.();
  await Promise.all(inFlight);
  return { acknowledged, failure };
}
