// What a Kafka cluster says about itself, read the way an operator would (metadata requests):
// who leads which partitions, who coordinates a group, whether every replica is back in sync.
import { AssignerProtocol, type Admin } from 'kafkajs';

/** Kafka's String.hashCode, as the broker computes it to place a group's offsets. */
function javaHashCode(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

/** Node id leading the most partitions of `topic` (the lowest id on a tie). */
export async function busiestLeader(admin: Admin, topic: string): Promise<{ nodeId: number; partitions: number[] }> {
  const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  const led = new Map<number, number[]>();
  for (const p of meta?.partitions ?? []) led.set(p.leader, [...(led.get(p.leader) ?? []), p.partitionId]);
  const [nodeId, partitions] = [...led].sort(([a, pa], [b, pb]) => pb.length - pa.length || a - b)[0] ?? [];
  if (nodeId === undefined || partitions === undefined || nodeId < 0) throw new Error(`${topic} has no leaders`);
  return { nodeId, partitions };
}

/**
 * The node coordinating `groupId`: the leader of its __consumer_offsets partition,
 * abs(hashCode(groupId)) % partitions, as the broker places it.
 */
export async function groupCoordinator(admin: Admin, groupId: string): Promise<number> {
  const [meta] = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics;
  const count = meta?.partitions.length ?? 0;
  if (count === 0) throw new Error('no __consumer_offsets topic yet');
  const hash = javaHashCode(groupId);
  const partition = (hash === -2147483648 ? 0 : Math.abs(hash)) % count;
  const leader = meta?.partitions.find((p) => p.partitionId === partition)?.leader;
  if (leader === undefined || leader < 0) throw new Error(`__consumer_offsets[${partition}] has no leader`);
  return leader;
}

/** The partitions each live member of `groupId` is assigned (a member without any gives {}). */
export async function groupAssignments(admin: Admin, groupId: string): Promise<Array<Record<string, number[]>>> {
  const { groups } = await admin.describeGroups([groupId]);
  return (groups[0]?.members ?? []).map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {});
}
