import type { z } from 'zod';
import { col, defineTable } from './table.ts';

/**
 * Delivery latency buckets (issue 22): fixed, so that counts from any days, services and replays
 * add up, and a percentile read from them is the same whoever computes it.
 *
 * Edges are log-spaced, eight per doubling, from 100 ms: edge k (k = 1..LATENCY_EDGES_MS.length)
 * is round(100 * 2^((k-1)/8)) milliseconds, the last about 19.4 days. A latency falls in bucket
 * b, the number of edges at or below it: bucket 0 is under 100 ms (a negative latency, odd but
 * valid data, too), bucket b is [edge b, edge b+1), the last is edge 193 and beyond.
 */
export const LATENCY_EDGES_MS: readonly number[] = Array.from({ length: 8 * 24 + 1 }, (_, k) => Math.round(100 * 2 ** (k / 8)));

/**
 * The latency a percentile reports for bucket b, in seconds: the bucket's upper edge, so the
 * true value is below it and at least 1/2^(1/8) (about 91.7 %) of it, and under 0.1 s in bucket
 * 0. The last bucket has no upper edge: its lower edge is reported (a latency of at least that).
 */
export function bucketSeconds(bucket: number): number {
  const edge = LATENCY_EDGES_MS[Math.min(bucket, LATENCY_EDGES_MS.length - 1)] as number;
  return edge / 1000;
}

export const FACT_DELIVERY_LATENCY = defineTable('fact_delivery_latency', {
  day: col.date(),
  notification_type: col.lowCardinality(),
  provider: col.lowCardinality(),
  bucket: col.uint16(),
  delivered: col.int64(),
});
export type FactDeliveryLatencyRow = z.infer<typeof FACT_DELIVERY_LATENCY.row>;
