import type { Admin } from 'kafkajs';
import { endOffsets } from '@notify-stats/kafka';

interface Probe {
  at: number;
  ends: Map<string, number>;
}

/**
 * Finds the time up to which every produced event is in the facts. A probe notes the time and
 * then the topics' end offsets: whatever was acknowledged before that time lies below those
 * offsets. Once the processed positions reach them (the rollups' own positions for the topics
 * they read by window, the ingest group's commit, read before the cycle, for the others), the
 * facts hold everything produced before the probe's time.
 */
export class IngestProgress {
  private probes: Probe[] = [];

  constructor(
    private readonly admin: Admin,
    private readonly topics: readonly string[],
    private readonly maxProbes = 120,
  ) {}

  async probe(now = Date.now()): Promise<void> {
    const ends = await endOffsets(this.admin, this.topics);
    this.probes.push({ at: now, ends });
    if (this.probes.length > this.maxProbes) this.probes.shift();
  }

  /** The newest probe time the ingest has caught up with, or null if none yet. */
  caughtUpTo(processed: ReadonlyMap<string, number>): number | null {
    let newest: number | null = null;
    let newestIndex = -1;
    this.probes.forEach((p, i) => {
      const reached = [...p.ends].every(([tp, end]) => (processed.get(tp) ?? 0) >= end);
      if (reached) {
        newest = p.at;
        newestIndex = i;
      }
    });
    if (newestIndex >= 0) this.probes = this.probes.slice(newestIndex + 1);
    return newest;
  }
}
