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
  topic: string;
  partition: number;
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
    const reason = String((err as Error)?.message ?? err).slice(0, 300);
    const key = `${topic}[${partition}]`;
    const streak = this.streaks.get(key) ?? { topic, partition, sinceMs: this.now(), reason };
    streak.reason = reason;
    this.streaks.set(key, streak);
    this.gauge(streak, this.now() - streak.sinceMs);
  }

  progressed(topic: string, partition: number): void {
    const key = `${topic}[${partition}]`;
    const streak = this.streaks.get(key);
    if (!streak) return;
    this.streaks.delete(key);
    this.gauge(streak, 0);
  }

  failing(): PartitionStall[] {
    const now = this.now();
    return [...this.streaks.values()].map((s) => {
      const failingForMs = now - s.sinceMs;
      this.gauge(s, failingForMs);
      return { topic: s.topic, partition: s.partition, since: new Date(s.sinceMs).toISOString(), failingForMs, reason: s.reason, stalled: failingForMs >= this.stallAfterMs };
    });
  }

  clear(): void {
    for (const s of this.streaks.values()) this.gauge(s, 0);
    this.streaks.clear();
  }

  private gauge(s: Streak, failingForMs: number): void {
    ingestMetrics.stalledSeconds.set({ topic: s.topic, partition: String(s.partition) }, failingForMs / 1000);
  }
}
