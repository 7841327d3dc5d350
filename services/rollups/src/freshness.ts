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

  /** `readEnds`: the end offsets of the source topics, as `topic:partition` -> offset. */
  constructor(
    private readonly readEnds: () => Promise<Map<string, number>>,
    private readonly maxProbes = 120,
  ) {}

  /** Probes run one at a time (on the service's timer), so the list stays in time order. */
  async probe(now = Date.now()): Promise<void> {
    const ends = await this.readEnds();
    this.probes.push({ at: now, ends });
    // Thin out rather than drop the oldest: while the ingest works off a backlog longer than
    // maxProbes probes, the watermark keeps moving through it, only in coarser steps.
    if (this.probes.length > this.maxProbes) this.probes = this.probes.filter((_, i) => (this.probes.length - 1 - i) % 2 === 0);
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
