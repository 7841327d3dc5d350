import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../support/broker.ts';
import { TOPICS, produce, referenceMessage, statusEvent, statusMessage, type RawMessage } from '../support/events.ts';
import { adminToken, startPipeline, type TestPipeline } from '../support/pipeline.ts';

let broker: TestBroker;
let p: TestPipeline;

const ORG = 'a0000000-0000-4000-8000-000000000001';
const LETTERS = 'b0000000-0000-4000-8000-000000000001';
const SINGLE = 'b0000000-0000-4000-8000-000000000002';
const ALLOWANCE = 'b0000000-0000-4000-8000-000000000003';
const INSIDE = 'b0000000-0000-4000-8000-000000000004';
const MULTI = 'b0000000-0000-4000-8000-000000000005';

const service = (id: string, name: string, organisation_id: string | null = ORG) =>
  referenceMessage(`service:${id}`, {
    type: 'service', id, name, organisation_id, restricted: false, active: true, count_as_live: true,
    purchase_order_number: null, billing_contact_names: null, billing_contact_email_addresses: null, billing_reference: null,
  });
const letterRate = (post_class: string, sheet_count: number, rate: number | string) =>
  referenceMessage(`letter_rate:2019-04-01T00:00:00Z:${post_class}:${sheet_count}`, {
    type: 'letter_rate', start_date: '2019-04-01T00:00:00Z', end_date: null, sheet_count, post_class, rate,
  });
const letter = (service_id: string, postage: string, sheets: number, day: string) =>
  statusEvent({
    service_id, notification_type: 'letter', postage, billable_units: sheets, sent_by: 'dvla', status: 'delivered',
    rate_multiplier: null, created_at: `${day}T10:00:00Z`, updated_at: `${day}T15:00:00Z`,
  });
const sms = (service_id: string, day: string, units: number, rate_multiplier = 1) =>
  statusEvent({ service_id, billable_units: units, rate_multiplier, created_at: `${day}T09:00:00Z`, updated_at: `${day}T09:00:03Z` });

beforeAll(async () => {
  broker = await startTestBroker();
  p = await startPipeline(broker.brokers);
  const reference: RawMessage[] = [
    referenceMessage(`organisation:${ORG}`, {
      type: 'organisation', id: ORG, name: 'Department for Tests', purchase_order_number: 'PO-1',
      billing_contact_names: 'Jane Smith', billing_contact_email_addresses: 'jane@example.gov.uk', billing_reference: 'REF-1',
    }),
    service(LETTERS, 'Letters Service'),
    service(SINGLE, 'Single Letter Service'),
    service(ALLOWANCE, 'Allowance Service', null),
    service(INSIDE, 'Inside Allowance Service', null),
    service(MULTI, 'Multiplier Service', null),
    referenceMessage(`annual_billing:${ALLOWANCE}:2019`, { type: 'annual_billing', service_id: ALLOWANCE, financial_year_start: 2019, free_sms_fragment_limit: 10 }),
    referenceMessage(`annual_billing:${INSIDE}:2019`, { type: 'annual_billing', service_id: INSIDE, financial_year_start: 2019, free_sms_fragment_limit: 10 }),
    referenceMessage('sms_rate:2019-04-01T00:00:00Z', { type: 'sms_rate', valid_from: '2019-04-01T00:00:00Z', rate: 0.11 }),
    letterRate('second', 1, 0.45),
    letterRate('second', 2, 0.638),
    letterRate('second', 3, '0.645'),
    letterRate('first', 1, 0.995),
    letterRate('first', 2, 1.55),
    letterRate('first', 3, 1234.5),
    letterRate('first', 4, 0.5),
    letterRate('europe', 1, 0.88),
    letterRate('rest-of-world', 1, 0.88),
  ];
  const day = '2024-05-15';
  const statuses = [
    letter(LETTERS, 'second', 1, day),
    letter(LETTERS, 'second', 2, day),
    letter(LETTERS, 'second', 3, day),
    letter(LETTERS, 'first', 1, day),
    letter(LETTERS, 'first', 2, day),
    letter(LETTERS, 'first', 3, day),
    letter(LETTERS, 'europe', 1, day),
    letter(LETTERS, 'rest-of-world', 1, day),
    letter(SINGLE, 'first', 4, day),
    // 12 units on 2019-04-24 use the allowance of 10 up; 1 + 2 units in May are charged.
    ...Array.from({ length: 4 }, () => sms(ALLOWANCE, '2019-04-24', 3)),
    sms(ALLOWANCE, '2019-05-03', 1),
    sms(ALLOWANCE, '2019-05-08', 2),
    sms(INSIDE, '2019-05-10', 5),
    sms(MULTI, '2019-07-02', 10, 3),
  ];
  // DVLA: two letters despatched on 2024-06-11.
  const dvlaSecond = letter(SINGLE, 'second', 1, '2024-06-10');
  const dvlaEurope = letter(SINGLE, 'europe', 1, '2024-06-10');
  await produce(p.producer, TOPICS.referenceData, reference);
  await produce(p.producer, TOPICS.notificationStatus, [...statuses, dvlaSecond, dvlaEurope].map(statusMessage));
  const at = await produce(
    p.producer,
    TOPICS.letterDespatch,
    [dvlaSecond, dvlaEurope].map((l) => ({
      key: String(l.notification_id),
      value: JSON.stringify({ event_id: crypto.randomUUID(), notification_id: l.notification_id, despatched_on: '2024-06-11', cost_threshold: 'sorted' }),
    })),
  );
  await p.waitForFacts(at);
});
afterAll(async () => {
  await p?.stop();
  await broker?.stop();
});

type BillingRow = Record<string, unknown> & { service_id: string };
const billing = async (start: string, end: string) =>
  (await p.get(`/platform-stats/data-for-billing-report?start_date=${start}&end_date=${end}`)).json<BillingRow[]>();

describe('billing report', () => {
  it('prints the letter breakdown with exact prices, international merged, no singular form', async () => {
    const rows = await billing('2024-05-01', '2024-05-31');
    const letters = rows.find((r) => r.service_id === LETTERS);
    expect(letters).toEqual({
      organisation_id: ORG,
      organisation_name: 'Department for Tests',
      service_id: LETTERS,
      service_name: 'Letters Service',
      sms_cost: 0,
      sms_chargeable_units: 0,
      total_letters: 8,
      letter_cost: 1240.538,
      letter_breakdown:
        '1 second class letters at 45p\n' +
        '1 second class letters at 64p\n' +
        '1 second class letters at 64p\n' +
        '1 first class letters at 100p\n' +
        '1 first class letters at £1.55\n' +
        '1 first class letters at £1,234.50\n' +
        '2 international letters at 88p\n',
      purchase_order_number: 'PO-1',
      contact_names: 'Jane Smith',
      contact_email_addresses: 'jane@example.gov.uk',
      billing_reference: 'REF-1',
    });
    expect(rows.find((r) => r.service_id === SINGLE)?.letter_breakdown).toBe('1 first class letters at 50p\n');
  });

  it('charges only the units beyond the free allowance, used up by earlier days of the year', async () => {
    const rows = await billing('2019-05-01', '2019-06-30');
    expect(rows.map((r) => r.service_id)).toEqual([ALLOWANCE]);
    expect(rows[0]).toMatchObject({ sms_chargeable_units: 3, sms_cost: 0.33, organisation_id: '', organisation_name: '' });
  });

  it('answers the three date errors with the exact messages', async () => {
    const cases: Array<[string, string]> = [
      ['start_date=2019-03-31&end_date=2019-04-01', 'Date must be in a single financial year.'],
      ['start_date=2019-08-01&end_date=2019-06-01', 'Start date must be before end date'],
      ['start_date=22-01-2019&end_date=2019-06-01', 'Input must be a date in the format: YYYY-MM-DD'],
      ['end_date=2019-06-01', 'Input must be a date in the format: YYYY-MM-DD'],
    ];
    for (const [query, message] of cases) {
      const res = await p.get(`/platform-stats/data-for-billing-report?${query}`);
      expect({ query, status: res.statusCode, body: res.json() }).toEqual({ query, status: 400, body: { message, status_code: 400 } });
    }
  });
});

describe('other reports', () => {
  it('sorts DVLA rows europe before second on one day and prices letters x rate', async () => {
    const res = await p.get('/platform-stats/data-for-dvla-billing-report?start_date=2024-06-01&end_date=2024-06-30');
    expect(res.json()).toEqual([
      { date: '2024-06-11', postage: 'europe', cost_threshold: 'sorted', sheets: 1, rate: 0.88, letters: 1, cost: 0.88 },
      { date: '2024-06-11', postage: 'second', cost_threshold: 'sorted', sheets: 1, rate: 0.45, letters: 1, cost: 0.45 },
    ]);
  });

  it('counts fragments and chargeable units (fragments x multiplier) in daily volumes', async () => {
    const res = await p.get('/platform-stats/daily-volumes-report?start_date=2019-07-01&end_date=2019-07-31');
    expect(res.json()).toEqual([
      { day: '2019-07-02', sms_totals: 1, sms_fragment_totals: 10, sms_chargeable_units: 30, email_totals: 0, letter_totals: 0, letter_sheet_totals: 0 },
    ]);
  });

  it('serves the list reports as CSV with the JSON field order', async () => {
    const res = await p.get('/platform-stats/daily-volumes-report?start_date=2019-07-01&end_date=2019-07-31&format=csv');
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="daily-volumes-report_2019-07-01_2019-07-31.csv"');
    // A byte order mark first, so spreadsheets read the file as UTF-8.
    expect(res.body).toBe(
      '\ufeffday,sms_totals,sms_fragment_totals,sms_chargeable_units,email_totals,letter_totals,letter_sheet_totals\n2019-07-02,1,10,30,0,0,0\n',
    );
  });

  it('answers 304 to If-None-Match with the ETag it gave, and says how fresh the data is', async () => {
    const url = '/platform-stats?start_date=2024-05-01&end_date=2024-05-31';
    const first = await p.get(url);
    expect(Date.parse(String(first.headers['x-data-as-of']))).toBeGreaterThan(Date.now() - 60_000);
    const again = await p.get(url, { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });
});

describe('delivery latency report', () => {
  // Hand-computed from the documented buckets (edge k = round(100 * 2^(k/8)) ms; a latency's
  // bucket is the number of edges at or below it, reported as that bucket's upper edge):
  // 1 s -> 1.037 s, 2 s -> 2.075 s, 10 s -> 10.763 s, 100 s -> 102.4 s, 30 s -> 30.444 s.
  const DAY = '2024-07-01';
  const URL = `/platform-stats/delivery-latency-report?start_date=${DAY}&end_date=${DAY}`;
  const delivered = (seconds: number, o: Record<string, unknown> = {}) =>
    statusEvent({ service_id: SINGLE, created_at: `${DAY}T09:00:00Z`, updated_at: new Date(Date.parse(`${DAY}T09:00:00Z`) + seconds * 1000).toISOString(), ...o });
  const late = delivered(2);

  it('gives delivered counts and percentiles per provider, leaving test keys and other statuses out', async () => {
    const at = await produce(p.producer, TOPICS.notificationStatus, [
      delivered(1), delivered(10), delivered(100), late,
      delivered(30, { sent_by: 'firetext' }),
      delivered(5, { key_type: 'test' }),
      delivered(7, { status: 'sending' }),
    ].map(statusMessage));
    await p.waitForFacts(at);
    const res = await p.get(URL);
    expect(res.statusCode).toBe(200);
    // mmg: 1, 2, 10 and 100 s. p50 is rank 2 (2 s), p90, p95 and p99 rank 4 (100 s).
    expect(res.json()).toEqual([
      { day: DAY, notification_type: 'sms', provider: 'firetext', delivered: 1, p50_seconds: 30.444, p90_seconds: 30.444, p95_seconds: 30.444, p99_seconds: 30.444 },
      { day: DAY, notification_type: 'sms', provider: 'mmg', delivered: 4, p50_seconds: 2.075, p90_seconds: 102.4, p95_seconds: 102.4, p99_seconds: 102.4 },
    ]);
  });

  it('takes a notification out of the latency counts when a late change moves it from delivered to failed', async () => {
    const failed = { ...late, event_id: crypto.randomUUID(), status: 'permanent-failure', updated_at: '2024-07-03T12:00:00Z' };
    await p.waitForFacts(await produce(p.producer, TOPICS.notificationStatus, [statusMessage(failed)]));
    const mmg = (await p.get(`${URL}&notification_type=sms`)).json<Array<Record<string, unknown>>>().find((r) => r.provider === 'mmg');
    // mmg: 1, 10 and 100 s. p50 is rank 2 (10 s), the others rank 3.
    expect(mmg).toEqual({ day: DAY, notification_type: 'sms', provider: 'mmg', delivered: 3, p50_seconds: 10.763, p90_seconds: 102.4, p95_seconds: 102.4, p99_seconds: 102.4 });
  });
});

describe('authentication', () => {
  const endpoints = [
    '/platform-stats',
    '/platform-stats/data-for-billing-report?start_date=2024-05-01&end_date=2024-05-31',
    '/platform-stats/data-for-dvla-billing-report?start_date=2024-05-01&end_date=2024-05-31',
    '/platform-stats/daily-volumes-report?start_date=2024-05-01&end_date=2024-05-31',
    '/platform-stats/daily-sms-provider-volumes-report?start_date=2024-05-01&end_date=2024-05-31',
    '/platform-stats/volumes-by-service?start_date=2024-05-01&end_date=2024-05-31',
  ];
  it.each(endpoints)('%s: 401 without a token, 403 forged or stale, 200 with a good one', async (url) => {
    const call = async (authorization?: string) =>
      p.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });
    const missing = await call();
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ status_code: 401 });
    const forged = await call(`Bearer ${await adminToken(undefined, 'not-the-secret-0123456789')}`);
    expect(forged.statusCode).toBe(403);
    expect(forged.json()).toMatchObject({ status_code: 403 });
    expect((await call(`Bearer ${await adminToken(Math.floor(Date.now() / 1000) - 60)}`)).statusCode).toBe(403);
    expect((await call(`Bearer ${await adminToken()}`)).statusCode).toBe(200);
  });
});
