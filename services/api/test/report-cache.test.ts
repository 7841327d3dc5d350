// Platform reports are cached per facts version and watermark. When either moves, the rendering
// held is still sent (with its own X-Data-As-Of) while exactly one computation of the new one
// runs; concurrent requests share computations; nothing is kept from a failure; the byte bound
// counts compressed bodies too.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportCache, type Render } from '../src/http/report-cache.ts';
import { RenderedReport } from '../src/http/rendered-report.ts';
import { get, insert, openTestApp, smsFact, type TestApp } from './helpers.ts';
import { metricsRegistry } from '@notify-stats/runtime';

const SERVICE = 'b0000000-0000-4000-8000-000000000001';
const URL = '/platform-stats/daily-volumes-report?start_date=2024-04-01&end_date=2024-04-30';

let t: TestApp;
let version = 'v1';
let asOf = '2024-05-01T00:00:00.000Z';
const appCache = new ReportCache({ factsVersion: async () => version, dataAsOf: async () => asOf });

beforeAll(async () => {
  t = await openTestApp({ reportCache: appCache, dataAsOf: async () => asOf });
});
afterAll(() => t.close());

const smsTotal = async (url = URL) => {
  const res = await get(t.app, url);
  expect(res.statusCode).toBe(200);
  return { total: (res.json() as Array<{ sms_totals: number }>).reduce((s, r) => s + r.sms_totals, 0), asOf: res.headers['x-data-as-of'] };
};

describe('platform report cache (through the app and the engine)', () => {
  it('answers from the cache until the facts version changes, then the old answer until the new one is computed', async () => {
    await insert(t.client, 'fact_billing', [smsFact({ day: '2024-04-02', service_id: SERVICE, units: 1, rate: '0.02', sent: 3 })]);
    expect((await smsTotal()).total).toBe(3);
    // Facts written without a new version: the cached answer stands.
    await insert(t.client, 'fact_billing', [smsFact({ day: '2024-04-03', service_id: SERVICE, units: 1, rate: '0.02', sent: 4 })]);
    expect((await smsTotal()).total).toBe(3);
    expect(await appCache.warm()).toBe(0);
    version = 'v2';
    // This request starts the computation of v2 and is answered with v1's rendering.
    expect((await smsTotal()).total).toBe(3);
    await appCache.warm(); // joins the computation in flight
    expect((await smsTotal()).total).toBe(7);
  });

  it('sends the old rendering under its own watermark, never a newer one', async () => {
    await insert(t.client, 'fact_billing', [smsFact({ day: '2024-04-04', service_id: SERVICE, units: 1, rate: '0.02', sent: 5 })]);
    expect(await smsTotal()).toEqual({ total: 7, asOf: '2024-05-01T00:00:00.000Z' });
    asOf = '2024-05-02T00:00:00.000Z';
    expect(await smsTotal()).toEqual({ total: 7, asOf: '2024-05-01T00:00:00.000Z' });
    await appCache.warm();
    expect(await smsTotal()).toEqual({ total: 12, asOf: '2024-05-02T00:00:00.000Z' });
  });

  it('counts hits, stale answers and misses for the operations port', async () => {
    const count = async (outcome: string) => {
      const metric = await metricsRegistry.getSingleMetric('notify_stats_report_cache_requests_total')?.get();
      return metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    };
    const url = '/platform-stats/daily-volumes-report?start_date=2024-03-01&end_date=2024-03-31';
    const [hits, stale, misses] = [await count('hit'), await count('stale'), await count('miss')];
    await smsTotal(url); // never held: computed while this request waits
    await smsTotal(url); // held, current
    version = 'v3';
    await smsTotal(url); // held, but the facts moved: the old rendering goes out
    await appCache.warm();
    expect([(await count('hit')) - hits, (await count('stale')) - stale, (await count('miss')) - misses]).toEqual([1, 1, 1]);
  });

  it('keeps JSON and CSV of one URL apart', async () => {
    const json = await get(t.app, URL);
    const csv = await get(t.app, `${URL}`, { accept: 'text/csv' });
    expect(json.headers['content-type']).toMatch(/json/);
    expect(csv.headers['content-type']).toMatch(/csv/);
    expect(csv.body.split('\n')[0]).toContain('sms_totals');
  });
});

/** A promise resolved from outside: a computation the test finishes when it chooses. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('ReportCache', () => {
  const rendered = (payload: string, asOf: string | null = null) => new RenderedReport(payload, 'text/plain', asOf);
  const fixed = (v = 'v') => ({ factsVersion: async () => v, dataAsOf: async () => 'as-of' });

  it('computes once for concurrent requests of one key', async () => {
    const cache = new ReportCache(fixed());
    let calls = 0;
    const render = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return rendered('body');
    };
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.get(['/a'], render)));
    expect(calls).toBe(1);
    expect(all.every((r) => r.body.toString() === 'body')).toBe(true);
  });

  it('serves the old version with its old as-of while exactly one computation of the new one runs', async () => {
    let version = 'v1';
    let asOf = 'as-of-1';
    const cache = new ReportCache({ factsVersion: async () => version, dataAsOf: async () => asOf });
    const asked: Array<string | null> = [];
    const pending = deferred<RenderedReport>();
    const render: Render = (at) => {
      asked.push(at);
      return at === 'as-of-1' ? Promise.resolve(rendered('old', at)) : pending.promise;
    };
    await cache.get(['/r'], render);
    version = 'v2';
    asOf = 'as-of-2';
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.get(['/r'], render)));
    expect(during.map((r) => [r.body.toString(), r.asOf])).toEqual(Array.from({ length: 20 }, () => ['old', 'as-of-1']));
    expect(asked).toEqual(['as-of-1', 'as-of-2']);
    pending.resolve(rendered('new', 'as-of-2'));
    await cache.warm(); // joins the computation in flight: the new one is in once it returns
    const after = await cache.get(['/r'], render);
    expect([after.body.toString(), after.asOf]).toEqual(['new', 'as-of-2']);
    expect(asked).toHaveLength(2);
  });

  it('keeps serving the old version when the new one fails, and tries again on the next request', async () => {
    let version = 'v1';
    const errors: unknown[] = [];
    const cache = new ReportCache({ factsVersion: async () => version, dataAsOf: async () => null, onError: (e) => errors.push(e) });
    await cache.get(['/f'], async () => rendered('old'));
    version = 'v2';
    const failing = deferred<RenderedReport>();
    expect((await cache.get(['/f'], () => failing.promise)).body.toString()).toBe('old');
    failing.reject(new Error('engine down'));
    await failing.promise.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    const retried = deferred<RenderedReport>();
    expect((await cache.get(['/f'], () => retried.promise)).body.toString()).toBe('old');
    retried.resolve(rendered('new'));
    await cache.warm();
    expect((await cache.get(['/f'], () => Promise.reject(new Error('not called')))).body.toString()).toBe('new');
  });

  it('does not keep a failure', async () => {
    const cache = new ReportCache(fixed());
    await expect(cache.get(['/b'], async () => Promise.reject(new Error('engine down')))).rejects.toThrow('engine down');
    expect((await cache.get(['/b'], async () => rendered('ok'))).body.toString()).toBe('ok');
  });

  it('warms only the reports asked for since their last computation', async () => {
    let version = 'v1';
    const cache = new ReportCache({ factsVersion: async () => version, dataAsOf: async () => null });
    const calls: string[] = [];
    const render = (name: string) => async () => (calls.push(name), rendered(`${name}-${version}`));
    await cache.get(['/read'], render('read'));
    await cache.get(['/unread'], render('unread'));
    await cache.get(['/read'], render('read')); // read again after its computation
    version = 'v2';
    expect(await cache.warm()).toBe(1);
    expect(calls).toEqual(['read', 'unread', 'read']);
    expect((await cache.get(['/read'], render('read'))).body.toString()).toBe('read-v2');
  });

  it('makes the gzip body before a rendering is served, and counts it', async () => {
    const cache = new ReportCache(fixed());
    const report = await cache.get(['/g'], async () => rendered('{"a":1}'.repeat(200)));
    const gz = await report.representation('gzip');
    expect(report.storedBytes).toBe(report.body.length + gz.body.length);
    expect(cache.storedBytes).toBeGreaterThanOrEqual(report.storedBytes);
  });

  it('counts compressed bodies in its byte bound, and evicts when they pass it', async () => {
    // Random text compresses little, so a gzip body is nearly as large as the plain one.
    const payload = () => randomBytes(600).toString('base64');
    const sizes: number[] = [];
    const plain = payload().length;
    const budget = 2 * (plain + 200);
    // Nothing compressed ahead: the test makes the gzip body itself, after both are in.
    const cache = new ReportCache({ ...fixed(), maxBytes: budget, precompress: [] });
    let calls = 0;
    const render = async () => (calls++, rendered(payload()));
    const first = await cache.get(['/1'], render);
    await cache.get(['/2'], render);
    sizes.push(cache.storedBytes);
    expect(calls).toBe(2);
    // Both plain bodies fit; the first one's gzip body does not fit beside them: /2 goes.
    const gz = await first.representation('gzip');
    expect(gz.body.length).toBeGreaterThan(budget - sizes[0]!);
    expect(cache.storedBytes).toBeLessThanOrEqual(budget);
    expect(cache.storedBytes).toBeGreaterThanOrEqual(first.body.length + gz.body.length);
    await cache.get(['/1'], render);
    expect(calls).toBe(2);
    await cache.get(['/2'], render);
    expect(calls).toBe(3);
  });
});
