import type { Admin } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  end: number;
  lag: number;
}

/** End offsets (high watermarks) of each partition of the topics, as `topic:partition` -> offset. */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  await Promise.all(
    topics.map(async (topic) => {
      for (const p of await admin.fetchTopicOffsets(topic)) result.set(`${topic}:${p.partition}`, Number(p.high));
    }),
  );
  return result;
}

/** Committed offsets of a consumer group, as `topic:partition` -> offset (0 when nothing was committed). */
export async function committedOffsets(admin: Admin, groupId: string, topics: readonly string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const p of t.partitions) result.set(`${t.topic}:${p.partition}`, Math.max(0, Number(p.offset)));
  }
  return result;
}

export async function consumerLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const [ends, committed] = await Promise.all([endOffsets(admin, topics), committedOffsets(admin, groupId, topics)]);
  return [...ends].map(([tp, end]) => {
    const i = tp.lastIndexOf(':');
    const c = committed.get(tp) ?? 0;
    return { topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)), committed: c, end, lag: Math.max(0, end - c) };
  });
}
