import { ingestMetrics } from './metrics.ts';

export interface PartitionStall {
  topic: string;
  partition: number;
  /** When the current run of failed writes began. */
  since: string;
  failingForMs: number;
  /** The last failure's message. */
  reason: string;
  /** Failing for at least the stall threshold. */
  stalled: boolean;
}

interface Streak {
  sinceMs: number;
  reason: string;
}

/**
 * Which partitions have writes failing right now and since when: a partition with a message to
 * write that has not moved for the threshold is stalled, and says why (readiness, status, metric).
 */
export class StallTracker {
  private readonly streaks = new Map<string, Streak>();

  constructor(
    private readonly stallAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  failed(topic: string, partition: number, err: unknown): void {
    const key = `${topic}\u0000${partition}`;
    const reason = String((err as Error)?.message ?? err).slice(0, 300);
    const streak = this.streaks.get(key);
    if (streak) streak.reason = reason;
    else this.streaks.set(key, { sinceMs: this.now(), reason });
    ingestMetrics.stalledSeconds.set({ topic, partition: String(partition) }, (this.now() - (streak?.sinceMs ?? this.now())) / 1000);
  }

  progressed(topic: string, partition: number): void {
    if (this.streaks.delete(`${topic}\u0000${partition}`)) ingestMetrics.stalledSeconds.set({ topic, partition: String(partition) }, 0);
  }

  failing(): PartitionStall[] {
    const now = this.now();
    return [...this.streaks].map(([key, s]) => {
      const [topic = '', partition = '0'] = key.split('\u0000');
      const failingForMs = now - s.sinceMs;
      ingestMetrics.stalledSeconds.set({ topic, partition }, failingForMs / 1000);
      return { topic, partition: Number(partition), since: new Date(s.sinceMs).toISOString(), failingForMs, reason: s.reason, stalled: failingForMs >= this.stallAfterMs };
    });
  }

  stalled(): PartitionStall[] {
    return this.failing().filter((s) => s.stalled);
  }

  clear(): void {
    for (const key of this.streaks.keys()) {
      const [topic = '', partition = '0'] = key.split('\u0000');
      ingestMetrics.stalledSeconds.set({ topic, partition }, 0);
    }
    this.streaks.clear();
  }
}
