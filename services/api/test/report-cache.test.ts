// Platform reports are cached per facts version and watermark: the same answer until either
// changes, one computation for concurrent requests, and nothing kept from a failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportCache } from '../src/http/report-cache.ts';
import { get, insert, openTestApp, smsFact, type TestApp } from './helpers.ts';

const SERVICE = 'b0000000-0000-4000-8000-000000000001';
const URL = '/platform-stats/daily-volumes-report?start_date=2024-04-01&end_date=2024-04-30';

let t: TestApp;
let version = 'v1';
let asOf = '2024-05-01T00:00:00.000Z';

beforeAll(async () => {
  t = await openTestApp({ factsVersion: async () => version, dataAsOf: async () => asOf });
});
afterAll(() => t.close());

const smsTotal = async (url = URL) => {
  const res = await get(t.app, url);
  expect(res.statusCode).toBe(200);
  return { total: (res.json() as Array<{ sms_totals: number }>).reduce((s, r) => s + r.sms_totals, 0), asOf: res.headers['x-data-as-of'] };
};

describe('platform report cache (through the app and the engine)', () => {
  it('answers from the cache until the facts version changes', async () => {
    await insert(t.client, 'fact_billing', [smsFact({ day: '2024-04-02', service_id: SERVICE, units: 1, rate: '0.02', sent: 3 })]);
    expect((await smsTotal()).total).toBe(3);
    // Facts written without a new version: the cached answer stands.
    await insert(t.client, 'fact_billing', [smsFact({ day: '2024-04-03', service_id: SERVICE, units: 1, rate: '0.02', sent: 4 })]);
    expect((await smsTotal()).total).toBe(3);
    version = 'v2';
    expect((await smsTotal()).total).toBe(7);
  });

  it('never sends a body under a newer watermark than it was computed for', async () => {
    await insert(t.client, 'fact_billing', [smsFact({ day: '2024-04-04', service_id: SERVICE, units: 1, rate: '0.02', sent: 5 })]);
    expect(await smsTotal()).toEqual({ total: 7, asOf: '2024-05-01T00:00:00.000Z' });
    asOf = '2024-05-02T00:00:00.000Z';
    expect(await smsTotal()).toEqual({ total: 12, asOf: '2024-05-02T00:00:00.000Z' });
  });

  it('keeps JSON and CSV of one URL apart', async () => {
    const json = await get(t.app, URL);
    const csv = await get(t.app, `${URL}`, { accept: 'text/csv' });
    expect(json.headers['content-type']).toMatch(/json/);
    expect(csv.headers['content-type']).toMatch(/csv/);
    expect(csv.body.split('\n')[0]).toContain('sms_totals');
  });
});

describe('ReportCache', () => {
  const rendered = (payload: string) => ({ payload, type: 'text/plain', etag: `"${payload}"` });

  it('computes once for concurrent requests of one key', async () => {
    const cache = new ReportCache(async () => 'v');
    let calls = 0;
    const render = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return rendered('body');
    };
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.get(['/a'], render)));
    expect(calls).toBe(1);
    expect(all.every((r) => r.payload === 'body')).toBe(true);
  });

  it('does not keep a failure', async () => {
    const cache = new ReportCache(async () => 'v');
    await expect(cache.get(['/b'], async () => Promise.reject(new Error('engine down')))).rejects.toThrow('engine down');
    expect((await cache.get(['/b'], async () => rendered('ok'))).payload).toBe('ok');
  });

  it('evicts to stay within its byte budget', async () => {
    const cache = new ReportCache(async () => 'v', 1000);
    let calls = 0;
    const render = async () => (calls++, rendered('x'.repeat(400)));
    await cache.get(['/1'], render);
    await cache.get(['/2'], render);
    await cache.get(['/3'], render); // the budget holds two: /1 goes
    await cache.get(['/1'], render);
    expect(calls).toBe(4);
  });
});
