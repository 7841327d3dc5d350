/** One owned partition as the group's offsets show it. */
export interface OwnedPartitionLag {
  topic: string;
  partition: number;
  committed: number;
  lag: number;
}

/**
 * Finds partitions that a consumer owns, that have messages to read, and whose committed offset
 * has not moved for the threshold (the caller leaves out consumers whose writes are failing:
 * those are the stall tracker's). kafkajs can lose track of one partition after broker losses and rebalances: the
 * consumer stays in its group, heartbeats and reads its other partitions, while that one lags
 * for ever (seen in the three-broker reliability test). Only a new consumer recovers it.
 */
export class StuckPartitionDetector {
  private seen = new Map<string, { committed: number; sinceMs: number }>();

  constructor(
    private readonly stuckAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Forgets what was seen: after a rebalance, the partitions are someone else's or new to us. */
  reset(): void {
    this.seen.clear();
  }

  /** Takes one observation of the owned partitions; returns those stuck for the threshold. */
  observe(owned: readonly OwnedPartitionLag[]): OwnedPartitionLag[] {
    const now = this.now();
    const next = new Map<string, { committed: number; sinceMs: number }>();
    const stuck: OwnedPartitionLag[] = [];
    for (const p of owned) {
      // Caught up: nothing to wait for, and the clock starts again when messages arrive.
      if (p.lag <= 0) continue;
      const key = `${p.topic}[${p.partition}]`;
      const before = this.seen.get(key);
      const sinceMs = before && before.committed === p.committed ? before.sinceMs : now;
      next.set(key, { committed: p.committed, sinceMs });
      if (now - sinceMs >= this.stuckAfterMs) stuck.push(p);
    }
    this.seen = next;
    return stuck;
  }
}
