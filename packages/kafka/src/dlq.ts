import { CompressionTypes, Partitioners, type Kafka, type Message, type PartitionMetadata, type TopicMessages } from 'kafkajs';
import { DLQ_HEADERS, DLQ_TOPICS, isSourceTopic } from '@notify-stats/events';
import { readTopicSnapshot, type ReadRecord } from './read-range.ts';
import { sendBatchFully } from './send-fully.ts';
import { clusterReplication } from './topics.ts';

/** Compacted record of redriven dead letters, so a redrive never re-publishes one twice. */
export const REDRIVEN_TOPIC = 'notify-stats.dlq-redriven';

/** Past this many redrives a dead letter stays put unless forced: a message that keeps failing is not a loop. */
export const MAX_REDRIVES = 3;

export interface DeadLetter {
  id: string;
  dlqTopic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
  sourceTopic: string;
  sourcePartition: number | null;
  sourceOffset: string | null;
  failedAt: string | null;
  redriveCount: number;
  redriven: boolean;
  /** Set when the payload was cut to fit the dead-letter topic: the original's size in bytes. */
  truncatedFromBytes: number | null;
  headers: Record<string, string>;
}

const letterId = (r: Pick<ReadRecord, 'topic' | 'partition' | 'offset'>) => `${r.topic}:${r.partition}:${r.offset}`;

/**
 * Dead letters, one per origin (source topic, partition, offset): a replay reads an invalid
 * message again and dead-letters it again, and those copies are the same dead letter.
 */
export async function listDeadLetters(kafka: Kafka, topics: readonly string[] = DLQ_TOPICS): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin.disconnect();
  const redriven = existing.has(REDRIVEN_TOPIC)
    ? new Set((await readTopicSnapshot(kafka, REDRIVEN_TOPIC)).filter((r) => r.value !== null).map((r) => r.key?.toString() ?? ''))
    : new Set<string>();
  const out: DeadLetter[] = [];
  for (const topic of topics.filter((t) => existing.has(t))) {
    for (const r of await readTopicSnapshot(kafka, topic)) {
      const h = r.headers;
      out.push({
        id: letterId(r),
        dlqTopic: topic,
        partition: r.partition,
        offset: r.offset,
        key: r.key,
        value: r.value,
        reason: h[DLQ_HEADERS.reason] ?? '(no reason header)',
        sourceTopic: h[DLQ_HEADERS.sourceTopic] ?? topic.replace(/\.dlq$/, ''),
        sourcePartition: h[DLQ_HEADERS.sourcePartition] ? Number(h[DLQ_HEADERS.sourcePartition]) : null,
        sourceOffset: h[DLQ_HEADERS.sourceOffset] ?? null,
        failedAt: h[DLQ_HEADERS.failedAt] ?? null,
        redriveCount: Number(h[DLQ_HEADERS.redriveCount] ?? 0),
        redriven: redriven.has(letterId(r)),
        truncatedFromBytes: h[DLQ_HEADERS.truncatedFrom] ? Number(h[DLQ_HEADERS.truncatedFrom]) : null,
        headers: h,
      });
    }
  }
  return distinctByOrigin(out);
}

function distinctByOrigin(letters: DeadLetter[]): DeadLetter[] {
  const byOrigin = new Map<string, DeadLetter>();
  for (const l of letters) {
    const origin = l.sourceOffset === null ? l.id : `${l.sourceTopic}:${l.sourcePartition}:${l.sourceOffset}`;
    const first = byOrigin.get(origin);
    if (!first) byOrigin.set(origin, l);
    else if (l.redriven) first.redriven = true;
  }
  return [...byOrigin.values()];
}

export interface RedriveResult {
  redriven: DeadLetter[];
  skipped: Array<{ letter: DeadLetter; why: string }>;
}

/**
 * Publishes dead letters back to their source topic with their key, value and original headers,
 * and a redrive count one higher. One that fails again comes back to the DLQ carrying that count;
 * each dead letter is redriven at most once, and never past MAX_REDRIVES unless forced.
 */
export async function redrive(
  kafka: Kafka,
  letters: readonly DeadLetter[],
  opts: { force?: boolean; /** Between sends of unacknowledged partitions (tests shorten it). */ pause?: (round: number) => Promise<void> } = {},
): Promise<RedriveResult> {
  const result: RedriveResult = { redriven: [], skipped: [] };
  for (const letter of letters) {
    if (letter.redriven && !opts.force) result.skipped.push({ letter, why: 'already redriven' });
    else if (letter.redriveCount >= MAX_REDRIVES && !opts.force) result.skipped.push({ letter, why: `failed after ${letter.redriveCount} redrives` });
    else if (!isSourceTopic(letter.sourceTopic)) result.skipped.push({ letter, why: `unknown source topic ${letter.sourceTopic}` });
    else if (letter.truncatedFromBytes !== null) {
      // Publishing the cut payload would be a different message: the original is still at its origin.
      result.skipped.push({ letter, why: `payload was cut to fit the dead-letter topic (${letter.truncatedFromBytes} bytes); the original is at ${letter.sourceTopic}[${letter.sourcePartition}]@${letter.sourceOffset}` });
    }
    else result.redriven.push(letter);
  }
  if (result.redriven.length === 0) return result;
  const partitions = await partitionsFor(kafka, [...new Set(result.redriven.map((l) => l.sourceTopic))]);
  // Each message's partition chosen here, from the topics' metadata, by Kafka's default
  // partitioner (a letter's key lands where its notification's other events do), so that
  // sendBatchFully can check that every partition acknowledged: kafkajs 2.2.4 can resolve a send
  // without having written some partitions' messages (send-fully.ts). A letter counted as
  // redriven is then on its topic.
  const partitioner = Partitioners.DefaultPartitioner();
  const placed = (topic: string, messages: Message[]): TopicMessages => ({
    topic,
    messages: messages.map((message) => ({ ...message, partition: partitioner({ topic, partitionMetadata: partitions.get(topic) ?? [], message }) })),
  });
  const bySource = new Map<string, DeadLetter[]>();
  for (const l of result.redriven) bySource.set(l.sourceTopic, [...(bySource.get(l.sourceTopic) ?? []), l]);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const letters = [...bySource].map(([topic, list]) => placed(topic, list.map((l) => ({ key: l.key, value: l.value, headers: redriveHeaders(l) }))));
    await sendBatchFully(producer, { topicMessages: letters, acks: -1, compression: CompressionTypes.None }, { pause: opts.pause });
    // Marked redriven only once every letter is acknowledged on its topic.
    const now = new Date().toISOString();
    const marks = placed(REDRIVEN_TOPIC, result.redriven.map((l) => ({ key: l.id, value: now })));
    await sendBatchFully(producer, { topicMessages: [marks], acks: -1, compression: CompressionTypes.None }, { pause: opts.pause });
  } finally {
    await producer.disconnect();
  }
  return result;
}

/** The partitions of the letters' source topics and of REDRIVEN_TOPIC, which is made on first use. */
async function partitionsFor(kafka: Kafka, sourceTopics: readonly string[]): Promise<Map<string, PartitionMetadata[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(REDRIVEN_TOPIC)) {
      const { replicationFactor, minInsyncReplicas } = await clusterReplication(admin);
      await admin
        .createTopics({
          topics: [{
            topic: REDRIVEN_TOPIC,
            numPartitions: 1,
            replicationFactor,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
          }],
          waitForLeaders: true,
        })
        .catch(() => undefined);
    }
    const { topics } = await admin.fetchTopicMetadata({ topics: [...sourceTopics, REDRIVEN_TOPIC] });
    return new Map(topics.map((t) => [t.name, t.partitions]));
  } finally {
    await admin.disconnect();
  }
}

function redriveHeaders(letter: DeadLetter): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(letter.headers)) if (!k.startsWith('x-dlq-')) headers[k] = v;
  headers[DLQ_HEADERS.redriveCount] = String(letter.redriveCount + 1);
  return headers;
}
