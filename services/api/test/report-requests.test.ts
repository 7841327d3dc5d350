import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, get, openTestApp, REPORTS, type TestApp } from './helpers.ts';

const FORMAT = { message: 'Input must be a date in the format: YYYY-MM-DD', status_code: 400 };
const ORDER = { message: 'Start date must be before end date', status_code: 400 };
const FINANCIAL_YEAR = { message: 'Date must be in a single financial year.', status_code: 400 };
const WITH_FY_CHECK = new Set<string>(['/platform-stats/data-for-billing-report', '/platform-stats/data-for-dvla-billing-report']);

const COLUMNS: Record<(typeof REPORTS)[number], string> = {
  '/platform-stats/data-for-billing-report':
    'organisation_id,organisation_name,service_id,service_name,sms_cost,sms_chargeable_units,total_letters,letter_cost,letter_breakdown,purchase_order_number,contact_names,contact_email_addresses,billing_reference',
  '/platform-stats/data-for-dvla-billing-report': 'date,postage,cost_threshold,sheets,rate,letters,cost',
  '/platform-stats/daily-volumes-report': 'day,sms_totals,sms_fragment_totals,sms_chargeable_units,email_totals,letter_totals,letter_sheet_totals',
  '/platform-stats/daily-sms-provider-volumes-report': 'day,provider,sms_totals,sms_fragment_totals,sms_chargeable_units,sms_cost',
  '/platform-stats/volumes-by-service':
    'service_name,service_id,organisation_name,organisation_id,free_allowance,sms_notifications,sms_chargeable_units,email_totals,letter_totals,letter_sheet_totals,letter_cost',
  '/platform-stats/delivery-latency-report': 'day,notification_type,provider,delivered,p50_seconds,p90_seconds,p95_seconds,p99_seconds',
};

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

describe.each(REPORTS)('%s', (path) => {
  const ask = (query: string) => get(t.app, `${path}?${query}`);

  it('rejects a malformed date with the format message', async () => {
    for (const query of ['start_date=22-01-2019&end_date=2019-01-22', 'start_date=2019-01-22&end_date=22-01-2019', 'start_date=2019-02-30&end_date=2019-03-01', 'start_date=&end_date=2019-03-01']) {
      const res = await ask(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toEqual(FORMAT);
    }
  });

  it('answers a missing required date with the format message, not 500', async () => {
    for (const query of ['', 'start_date=2019-05-01', 'end_date=2019-05-01']) {
      const res = await ask(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toEqual(FORMAT);
    }
  });

  it('checks the order, equal dates being fine', async () => {
    const res = await ask('start_date=2019-08-01&end_date=2019-06-01');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(ORDER);
    expect((await ask('start_date=2019-06-01&end_date=2019-06-01')).statusCode).toBe(200);
  });

  it('runs the checks in order: start format, end format, order, financial year', async () => {
    expect((await ask('start_date=bad&end_date=2018-01-01')).json()).toEqual(FORMAT);
    expect((await ask('start_date=2020-01-01&end_date=2018-01-01')).json()).toEqual(ORDER);
  });

  it(WITH_FY_CHECK.has(path) ? 'refuses a range across financial years' : 'allows a range across financial years', async () => {
    const res = await ask('start_date=2019-03-31&end_date=2019-04-01');
    if (WITH_FY_CHECK.has(path)) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual(FINANCIAL_YEAR);
    } else {
      expect(res.statusCode).toBe(200);
    }
  });

  it('needs an admin token', async () => {
    const url = `${path}?start_date=2019-05-01&end_date=2019-05-02`;
    expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const forged = await adminToken('some-other-secret-0123456789');
    expect((await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${forged}` } })).statusCode).toBe(403);
  });

  it('answers CSV with the JSON field order as header, by Accept or by ?format=csv', async () => {
    const byAccept = await get(t.app, `${path}?start_date=2019-05-01&end_date=2019-05-02`, { accept: 'text/csv' });
    const byParam = await ask('start_date=2019-05-01&end_date=2019-05-02&format=csv');
    for (const res of [byAccept, byParam]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.body).toBe(`\uFEFF${COLUMNS[path]}\n`);
    }
    expect((await ask('start_date=2019-05-01&end_date=2019-05-02')).json()).toEqual([]);
  });
});

// Dates at and beyond the engine's Date range (1970..2149) and around leap days are the likely
// 5xx; any text, duplicated keys and stray encodings must be 4xx at worst.
const day = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
  .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
const value = fc.oneof(day, fc.constantFrom('1970-01-01', '2149-06-06', '2149-06-07', '0000-02-29', '9999-12-31'), fc.string(), fc.constantFrom('csv', 'json', ''));
const key = fc.oneof(fc.constantFrom('start_date', 'end_date', 'format'), fc.string({ maxLength: 5 }));
const queryString = fc.oneof(
  // Two dates that look right, so the query reaches the engine.
  fc.tuple(day, day, fc.constantFrom('', '&format=csv')).map(([a, b, f]) => `start_date=${a}&end_date=${b}${f}`),
  fc.array(fc.tuple(key, value), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[#\s]/g, '')),
);

describe('any query string', () => {
  it.each(REPORTS)('never makes %s answer 5xx', async (path) => {
    const token = await adminToken();
    await fc.assert(
      fc.asyncProperty(queryString, async (query) => {
        const res = await t.app.inject({ method: 'GET', url: `${path}?${query}`, headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode, query).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
