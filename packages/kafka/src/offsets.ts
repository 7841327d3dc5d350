import type { Admin } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  end: number;
  lag: number;
}

/** The offsets each partition of the topics holds, as `topic:partition` -> [low, high). */
async function offsetRanges(admin: Admin, topics: readonly string[]): Promise<Map<string, { low: number; high: number }>> {
  const result = new Map<string, { low: number; high: number }>();
  await Promise.all(
    topics.map(async (topic) => {
      for (const p of await admin.fetchTopicOffsets(topic)) result.set(`${topic}:${p.partition}`, { low: Number(p.low), high: Number(p.high) });
    }),
  );
  return result;
}

/** End offsets (high watermarks) of each partition of the topics, as `topic:partition` -> offset. */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  return new Map([...(await offsetRanges(admin, topics))].map(([tp, r]) => [tp, r.high]));
}

/** Committed offsets of a consumer group, as `topic:partition` -> offset (0 when nothing was committed). */
export async function committedOffsets(admin: Admin, groupId: string, topics: readonly string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const p of t.partitions) result.set(`${t.topic}:${p.partition}`, Math.max(0, Number(p.offset)));
  }
  return result;
}

/**
 * What a group has still to read of each partition: from its committed offset, or from the first
 * offset the partition still holds when retention deleted messages the group never read (those
 * can never be read, so they are no lag that reading would work off).
 */
export async function consumerLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const [ranges, committed] = await Promise.all([offsetRanges(admin, topics), committedOffsets(admin, groupId, topics)]);
  return [...ranges].map(([tp, { low, high }]) => {
    const i = tp.lastIndexOf(':');
    const c = committed.get(tp) ?? 0;
    return { topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)), committed: c, end: high, lag: Math.max(0, high - Math.max(c, low)) };
  });
}
