import { bucketSeconds } from '@notify-stats/clickhouse';

/** The percentiles the delivery latency report gives (docs/delivery-latency.md). */
export const PERCENTILES = [50, 90, 95, 99] as const;
export type Percentile = (typeof PERCENTILES)[number];

export interface LatencySummary {
  delivered: number;
  /** Seconds per percentile: the upper edge of the bucket that holds it (bucketSeconds). */
  seconds: Record<Percentile, number>;
}

/**
 * Percentiles by nearest rank over bucket counts: percentile p is the latency of the
 * ceil(p * n / 100)-th fastest delivered notification, read as the upper edge of its bucket.
 * Integer arithmetic throughout, so the same counts give the same figures anywhere. Buckets with
 * no count (a key whose signed sums cancelled out) are skipped; null when nothing was delivered.
 */
export function latencyPercentiles(buckets: ReadonlyArray<readonly [bucket: number, count: number]>): LatencySummary | null {
  const sorted = buckets.filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const delivered = sorted.reduce((sum, [, n]) => sum + n, 0);
  if (delivered === 0) return null;
  const at = (p: Percentile) => {
    const rank = Math.floor((p * delivered + 99) / 100);
    let seen = 0;
    for (const [bucket, n] of sorted) {
      seen += n;
      if (seen >= rank) return bucketSeconds(bucket);
    }
    return bucketSeconds((sorted.at(-1) as readonly [number, number])[0]);
  };
  return { delivered, seconds: Object.fromEntries(PERCENTILES.map((p) => [p, at(p)])) as Record<Percentile, number> };
}
