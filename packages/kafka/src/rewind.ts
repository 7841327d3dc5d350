import type { Admin, Kafka } from 'kafkajs';

export interface RewindPlan {
  topic: string;
  partition: number;
  from: number;
  to: number;
}

export type RewindFrom = 'earliest' | Date;

/**
 * Where a consumer group would restart on each partition: the first offset at or after the time
 * (Kafka's offsets-by-timestamp), or the log start for `earliest`. A partition with nothing at or
 * after the time goes to its end (nothing to replay there).
 */
export async function planRewind(admin: Admin, groupId: string, topics: readonly string[], from: RewindFrom): Promise<RewindPlan[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const current = new Map<string, number>();
  for (const t of committed) for (const p of t.partitions) current.set(`${t.topic}:${p.partition}`, Number(p.offset));
  const plan: RewindPlan[] = [];
  for (const topic of topics) {
    const bounds = await admin.fetchTopicOffsets(topic);
    const targets =
      from === 'earliest'
        ? bounds.map((b) => ({ partition: b.partition, offset: Number(b.low) }))
        : (await admin.fetchTopicOffsetsByTimestamp(topic, from.getTime())).map((p) => {
            const end = Number(bounds.find((b) => b.partition === p.partition)?.high ?? 0);
            const offset = Number(p.offset);
            return { partition: p.partition, offset: offset < 0 ? end : offset };
          });
    for (const t of targets) {
      plan.push({ topic, partition: t.partition, from: current.get(`${topic}:${t.partition}`) ?? -1, to: t.offset });
    }
  }
  return plan.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** Members currently in the group; a rewind needs none (the broker refuses it otherwise). */
export async function activeMembers(admin: Admin, groupId: string): Promise<number> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]?.members.length ?? 0;
}

/**
 * Moves the group's committed offsets to the plan. Like kafkajs's admin.setOffsets, a short-lived
 * member joins the (empty) group, pauses, seeks and stops once its first fetch has run (seeking
 * commits); unlike it, one member does every topic at once and polls briefly, instead of one
 * join and a 5 s fetch wait per topic.
 */
export async function applyRewind(kafka: Kafka, groupId: string, plan: readonly RewindPlan[]): Promise<void> {
  const topics = [...new Set(plan.map((p) => p.topic))];
  if (topics.length === 0) return;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 3_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.FETCH, () => {
        consumer.stop().then(resolve, reject);
      });
      consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(reject);
      consumer.pause(topics.map((topic) => ({ topic })));
      for (const p of plan) consumer.seek({ topic: p.topic, partition: p.partition, offset: String(p.to) });
    });
  } finally {
    await consumer.disconnect();
  }
}
