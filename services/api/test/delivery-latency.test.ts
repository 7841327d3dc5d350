// GET /platform-stats/delivery-latency-report over hand-written latency facts: the percentiles
// are worked out by hand from the documented buckets (edge k = round(100 * 2^(k/8)) ms, so
// bucket 8 ends at 0.2 s, 16 at 0.4 s, 24 at 0.8 s, 40 at 3.2 s; bucket 0 ends at 0.1 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markFilled } from '@notify-stats/clickhouse';
import { latencyPercentiles } from '../src/latency-percentiles.ts';
import { NOT_FILLED_MESSAGE, TYPE_MESSAGE } from '../src/routes/delivery-latency-report.ts';
import { get, insert, openTestApp, type TestApp } from './helpers.ts';

const PATH = '/platform-stats/delivery-latency-report';
const fact = (day: string, notification_type: string, provider: string, bucket: number, delivered: number) => ({ day, notification_type, provider, bucket, delivered });

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'fact_delivery_latency', [
    fact('2024-06-01', 'sms', 'mmg', 8, 60),
    fact('2024-06-01', 'sms', 'mmg', 8, 30), // the same key again: signed sums add up
    fact('2024-06-01', 'sms', 'mmg', 16, 5),
    fact('2024-06-01', 'sms', 'mmg', 24, 4),
    fact('2024-06-01', 'sms', 'mmg', 40, 1),
    fact('2024-06-01', 'email', 'ses', 0, 3),
    fact('2024-06-01', 'letter', 'dvla', 5, 1),
    fact('2024-06-01', 'letter', 'dvla', 5, -1), // moved out again by a late change: no row
    fact('2024-06-02', 'sms', 'firetext', 200, 2), // past the last edge: reported as the last edge
    fact('2024-06-03', 'sms', 'mmg', 8, 1), // after the range
  ]);
});
afterAll(() => t.close());

describe('before the rollups have counted the history from before migration 0007', () => {
  // First in the file: the api remembers a fill once it has seen it done.
  it('answers 503 with Retry-After rather than percentiles that miss part of the history, and 200 once the fill is marked', async () => {
    await t.client.command({ query: 'TRUNCATE TABLE pipeline_state' });
    const res = await get(t.app, `${PATH}?start_date=2024-06-01&end_date=2024-06-01`);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.json()).toEqual({ message: NOT_FILLED_MESSAGE, status_code: 503 });
    await markFilled(t.client, 'deliveryLatency');
    expect((await get(t.app, `${PATH}?start_date=2024-06-01&end_date=2024-06-01`)).statusCode).toBe(200);
  });
});

describe(`GET ${PATH}`, () => {
  it('gives per day, type and provider the delivered count and p50/p90/p95/p99 from the buckets', async () => {
    const res = await get(t.app, `${PATH}?start_date=2024-06-01&end_date=2024-06-02`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-data-as-of']).toBe('2024-01-01T00:00:00.000Z');
    // mmg: 100 delivered; ranks 50 and 90 fall in bucket 8 (90 there), 95 in bucket 16 (95 so far), 99 in bucket 24 (99).
    expect(res.json()).toEqual([
      { day: '2024-06-01', notification_type: 'email', provider: 'ses', delivered: 3, p50_seconds: 0.1, p90_seconds: 0.1, p95_seconds: 0.1, p99_seconds: 0.1 },
      { day: '2024-06-01', notification_type: 'sms', provider: 'mmg', delivered: 100, p50_seconds: 0.2, p90_seconds: 0.2, p95_seconds: 0.4, p99_seconds: 0.8 },
      { day: '2024-06-02', notification_type: 'sms', provider: 'firetext', delivered: 2, p50_seconds: 1677721.6, p90_seconds: 1677721.6, p95_seconds: 1677721.6, p99_seconds: 1677721.6 },
    ]);
  });

  it('takes one notification_type, and refuses an unknown one with a 400 that names the choices', async () => {
    const sms = await get(t.app, `${PATH}?start_date=2024-06-01&end_date=2024-06-01&notification_type=email`);
    expect(sms.json()).toEqual([{ day: '2024-06-01', notification_type: 'email', provider: 'ses', delivered: 3, p50_seconds: 0.1, p90_seconds: 0.1, p95_seconds: 0.1, p99_seconds: 0.1 }]);
    const bad = await get(t.app, `${PATH}?start_date=2024-06-01&end_date=2024-06-01&notification_type=fax`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ message: TYPE_MESSAGE, status_code: 400 });
    expect(TYPE_MESSAGE).toBe('notification_type must be one of: email, sms, letter');
  });

  it('answers CSV with the same columns', async () => {
    const res = await get(t.app, `${PATH}?start_date=2024-06-01&end_date=2024-06-01&notification_type=sms&format=csv`);
    expect(res.body).toBe('\uFEFFday,notification_type,provider,delivered,p50_seconds,p90_seconds,p95_seconds,p99_seconds\n2024-06-01,sms,mmg,100,0.2,0.2,0.4,0.8\n');
  });
});

describe('latencyPercentiles', () => {
  it('takes the nearest rank, ceil(p * n / 100), over the buckets in order', () => {
    // 20 delivered: ranks 10, 18, 19 and 20. Bucket 16 holds ranks 1-18, 24 the 19th, 32 the 20th.
    const s = latencyPercentiles([[32, 1], [16, 18], [24, 1]]);
    expect(s).toEqual({ delivered: 20, seconds: { 50: 0.4, 90: 0.4, 95: 0.8, 99: 1.6 } });
    // 3 delivered: p50 is rank ceil(1.5) = 2, the middle one; p90, p95 and p99 are rank 3.
    expect(latencyPercentiles([[8, 1], [16, 1], [24, 1]])).toEqual({ delivered: 3, seconds: { 50: 0.4, 90: 0.8, 95: 0.8, 99: 0.8 } });
  });

  it('skips buckets whose counts cancelled out, and has nothing to say of nothing delivered', () => {
    expect(latencyPercentiles([[8, 0], [16, 2], [4, -1]])).toEqual({ delivered: 2, seconds: { 50: 0.4, 90: 0.4, 95: 0.4, 99: 0.4 } });
    expect(latencyPercentiles([[8, 0]])).toBeNull();
  });
});
