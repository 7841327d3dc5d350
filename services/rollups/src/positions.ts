import { queryRows, type ClickHouseClient } from '@notify-stats/clickhouse';
import { TOPICS } from '@notify-stats/events';
import { windowCondition, windowDespatchesSql, windowSnapshotsSql } from './snapshot-sql.ts';

/** `topic:partition` -> offset, the shape of @notify-stats/kafka's offset maps. */
export type Positions = Map<string, number>;

/** The topics whose events the cycles read by Kafka position, and their change logs. */
export const WINDOW_TOPICS = [TOPICS.notificationStatus, TOPICS.letterDespatch] as const;
const CHANGE_LOGS = { [TOPICS.notificationStatus]: 'notification_changes', [TOPICS.letterDespatch]: 'despatch_changes' } as const;

export const positionsToJson = (p: Positions): string => JSON.stringify(Object.fromEntries([...p].sort()));
export const positionsFromJson = (s: string): Positions =>
  new Map(s ? Object.entries(JSON.parse(s) as Record<string, number>).map(([k, v]) => [k, Number(v)]) : []);

const split = (tp: string) => {
  const i = tp.lastIndexOf(':');
  return { topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)) };
};

export interface Window {
  /** Positions once the window is processed. */
  to: Positions;
  /** Offsets in the window, over all partitions. */
  size: number;
  snapshots: string | null;
  despatches: string | null;
  params: Record<string, unknown>;
}

/**
 * The next window: from the processed positions to what the ingest has committed (every event
 * below a committed offset is stored, because the ingest commits only after it writes), at most
 * `cap` offsets per partition so that one cycle's work stays bounded after a long stop.
 * A committed offset below the processed one (a rewound group replaying) adds nothing: those
 * events were processed already, and a replayed copy is the same event.
 */
export function nextWindow(processed: Positions, committed: Positions, cap: number): Window {
  const to = new Map(processed);
  const ranges: Record<string, Array<{ partition: number; from: number; to: number }>> = {};
  let size = 0;
  for (const [tp, end] of committed) {
    const { topic, partition } = split(tp);
    if (!(topic in CHANGE_LOGS)) continue;
    const from = processed.get(tp) ?? 0;
    const until = Math.min(end, from + cap);
    if (until <= from) continue;
    (ranges[topic] ??= []).push({ partition, from, to: until });
    to.set(tp, until);
    size += until - from;
  }
  const params: Record<string, unknown> = {};
  const condition = (topic: string, prefix: string) => {
    const rs = ranges[topic] ?? [];
    rs.forEach((r, i) => Object.assign(params, { [`${prefix}p${i}`]: r.partition, [`${prefix}f${i}`]: r.from, [`${prefix}t${i}`]: r.to }));
    return rs.length ? windowCondition(prefix, rs.length) : null;
  };
  const s = condition(TOPICS.notificationStatus, 's');
  const d = condition(TOPICS.letterDespatch, 'd');
  return { to, size, snapshots: s && windowSnapshotsSql(s), despatches: d && windowDespatchesSql(d), params };
}

/**
 * Without a broker (a command run offline, a test), the change logs' own ends stand in for the
 * committed offsets: right when nothing is being ingested, which is when such a run happens.
 */
export async function changeLogEnds(client: ClickHouseClient): Promise<Positions> {
  const out: Positions = new Map();
  for (const topic of WINDOW_TOPICS) {
    const rows = await queryRows<{ p: number; end: number }>(
      client,
      `SELECT source_partition AS p, max(source_offset) + 1 AS end FROM ${CHANGE_LOGS[topic]} GROUP BY source_partition`,
    );
    for (const r of rows) out.set(`${topic}:${r.p}`, Number(r.end));
  }
  return out;
}
