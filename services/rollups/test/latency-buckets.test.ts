// The bucket of a latency as the rollups compute it in SQL, at every edge and one microsecond
// either side, against the buckets written out from docs/delivery-latency.md in plain TypeScript.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows, type Clickhouse } from '@notify-stats/clickhouse';
import { withLatencyBucket } from '../src/snapshot-sql.ts';
import { openMigrated } from './model.ts';

let ch: Clickhouse;
beforeAll(async () => {
  ch = await openMigrated('latency-buckets');
});
afterAll(async () => {
  await ch?.close();
});

/** Edge k (k = 0..192) is round(100 * 2^(k/8)) ms; a latency's bucket is the number of edges at or below it. */
const EDGES_US = Array.from({ length: 193 }, (_, k) => Math.round(100 * 2 ** (k / 8)) * 1000);
const bucketOf = (us: number) => EDGES_US.filter((e) => e <= us).length;

it('puts a latency at an edge in the bucket above it, a microsecond less in the one below, at every edge', async () => {
  const latencies = [-5_000_000, 0, 99_999, ...EDGES_US.flatMap((e) => [e - 1, e, e + 1]), 20 * 86_400_000_000];
  const rows = await queryRows<{ l: number; bucket: number }>(
    ch.client,
    withLatencyBucket('SELECT arrayJoin({ls: Array(Int64)}) AS l', 'l', 'l'),
    { ls: latencies },
  );
  expect(rows.map((r) => [Number(r.l), Number(r.bucket)])).toEqual(latencies.map((l) => [l, bucketOf(l)]));
  expect(bucketOf(1_000_000)).toBe(27);
});
