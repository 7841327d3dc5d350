// The readers that sum over a range take whole months from the monthly sums and the partial
// months at the ends from the daily facts (queries/query-days.ts factRows). Against an oracle in
// plain TypeScript over the daily rows inserted, for ranges that start and end anywhere: inside
// one month, across a leap February, a year's end, whole financial years.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, daysBetween } from '@notify-stats/london';
import { statusTotals } from '../src/queries/status-facts.ts';
import { letterLinesByService, volumesByService } from '../src/queries/billing-facts.ts';
import { markFilled } from '@notify-stats/clickhouse';
import { annualBilling, insert, openTestApp, ZERO_UUID, type TestApp } from './helpers.ts';
import { smsChargedByService } from '../src/queries/sms-charges.ts';

const FIRST = '2023-11-20';
const LAST = '2024-05-10';
const SPAN = daysBetween(FIRST, LAST);
const SERVICES = ['c1000000-0000-4000-8000-000000000001', 'c1000000-0000-4000-8000-000000000002'];
const RATES = ['0.35', '0.0227', '0.5'];

interface StatusFact { day: string; service: string; type: string; status: string; keyType: string; count: number }
interface BillingFact { day: string; service: string; type: string; postage: string; rate: string; sent: number; units: number; chargeable: number }

// Fixed, varied rows: every few days, some on months' first and last days, some negative (the
// facts are signed sums), some keys summing to zero.
const statusFacts: StatusFact[] = [];
const billingFacts: BillingFact[] = [];
for (let i = 0; i <= SPAN; i += 1 + (i % 3)) {
  const day = addDays(FIRST, i);
  statusFacts.push({ day, service: SERVICES[i % 2] as string, type: ['sms', 'email', 'letter'][i % 3] as string, status: i % 5 ? 'delivered' : 'failed', keyType: i % 7 ? 'normal' : 'test', count: (i % 11) - 2 });
  billingFacts.push({ day, service: SERVICES[(i + 1) % 2] as string, type: i % 4 ? 'letter' : 'email', postage: i % 4 ? (i % 2 ? 'first' : 'second') : '', rate: i % 4 ? (RATES[i % 3] as string) : '0', sent: (i % 9) - 1, units: i % 4 ? i % 5 : 0, chargeable: i % 4 ? i % 4 : 0 });
}
// Sms every day for each service, at one rate a month except in the first half of January 2024
// (a rate that changed inside a month: the later, lower rate sorts first, so lines merged by rate
// would be charged in the wrong order), and a new rate from 1 April 2024.
const smsRate = (day: string) => (day >= '2024-04-01' ? '0.025' : day >= '2024-01-01' && day <= '2024-01-15' ? '0.03' : '0.0227');
for (let i = 0; i <= SPAN; i++) {
  const day = addDays(FIRST, i);
  SERVICES.forEach((service, s) => {
    const units = ((i * 7 + s * 3) % 13) - 1;
    billingFacts.push({ day, service, type: 'sms', postage: '', rate: smsRate(day), sent: units > 0 ? 1 : 0, units, chargeable: units });
  });
}
// Free allowances that run out inside a month of one rate (service 1 in December), inside the
// month of two rates (service 2 in January) and in April of the next year.
const ALLOWANCES: Record<string, Record<number, number>> = { [SERVICES[0] as string]: { 2023: 150, 2024: 100 }, [SERVICES[1] as string]: { 2023: 300 } };
for (const day of ['2023-12-01', '2023-12-31', '2024-02-29', '2024-03-01', '2024-03-31', '2024-04-01']) {
  statusFacts.push({ day, service: SERVICES[0] as string, type: 'sms', status: 'sending', keyType: 'normal', count: 3 });
  billingFacts.push({ day, service: SERVICES[1] as string, type: 'letter', postage: 'first', rate: '0.35', sent: 2, units: 4, chargeable: 4 });
}

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'fact_notification_status', statusFacts.map((f) => ({
    day: f.day, service_id: f.service, template_id: ZERO_UUID, job_id: ZERO_UUID, notification_type: f.type, key_type: f.keyType, status: f.status, notification_count: f.count,
  })));
  await insert(t.client, 'fact_billing', billingFacts.map((f) => ({
    day: f.day, service_id: f.service, template_id: ZERO_UUID, notification_type: f.type, provider: f.type === 'sms' ? 'mmg' : 'dvla', rate_multiplier: 1,
    international: false, rate: f.rate, postage: f.postage, sheets: f.type === 'letter' ? 2 : 0, notifications_sent: f.sent, billable_units: f.units, chargeable_units: f.chargeable,
  })));
});
afterAll(async () => {
  await t?.close();
});
beforeAll(async () => {
  await insert(t.client, 'ref_annual_billing', Object.entries(ALLOWANCES).flatMap(([service, years]) => Object.entries(years).map(([fy, limit]) => annualBilling(service, Number(fy), limit))));
});

// Money compared exactly as integers of 10^-10 (the facts' Decimal(38, 10)).
const scaled = (s: string) => {
  const negative = s.startsWith('-');
  const [whole = '0', frac = ''] = s.replace('-', '').split('.');
  const n = BigInt(whole) * 10n ** 10n + BigInt(frac.padEnd(10, '0'));
  return (negative ? -n : n).toString();
};

function sumBy<T>(rows: T[], key: (r: T) => string, values: (r: T) => bigint[]): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const r of rows) {
    const cur = out.get(key(r)) ?? values(r).map(() => 0n);
    out.set(key(r), cur.map((v, i) => v + (values(r)[i] as bigint)));
  }
  for (const [k, v] of out) if (v.every((x) => x === 0n)) out.delete(k);
  return out;
}
const sorted = (m: Map<string, bigint[]>) => [...m].map(([k, v]) => [k, v.map(String)]).sort();

const oracle = {
  statusTotals: (start: string, end: string) =>
    sorted(sumBy(statusFacts.filter((f) => f.day >= start && f.day <= end && f.keyType !== 'test'), (f) => `${f.type}|${f.status}`, (f) => [BigInt(f.count)])),
  letterLines: (start: string, end: string) =>
    sorted(sumBy(billingFacts.filter((f) => f.day >= start && f.day <= end && f.type === 'letter'), (f) => `${f.service}|${f.postage}|${scaled(f.rate)}`,
      (f) => [BigInt(f.sent), BigInt(f.sent) * BigInt(scaled(f.rate))])),
  volumes: (start: string, end: string) =>
    sorted(sumBy(billingFacts.filter((f) => f.day >= start && f.day <= end), (f) => f.service, (f) => {
      const sms = f.type === 'sms';
      const letter = f.type === 'letter';
      return [sms ? BigInt(f.sent) : 0n, sms ? BigInt(f.chargeable) : 0n, f.type === 'email' ? BigInt(f.sent) : 0n, letter ? BigInt(f.sent) : 0n, letter ? BigInt(f.units) : 0n, letter ? BigInt(f.sent) * BigInt(scaled(f.rate)) : 0n];
    })),
};

/** reports.md section 3, line by line in (day, rate) order from the year's 1 April. */
function smsCharges(start: string, end: string) {
  const fy = start >= '2024-04-01' ? 2024 : 2023;
  const out = new Map<string, bigint[]>();
  for (const service of SERVICES) {
    const free = BigInt(ALLOWANCES[service]?.[fy] ?? 0);
    const lines = billingFacts.filter((f) => f.type === 'sms' && f.service === service && f.day >= `${fy}-04-01` && f.day <= end).sort((a, b) => (a.day + a.rate < b.day + b.rate ? -1 : 1));
    let used = 0n;
    const sum = [0n, 0n];
    for (const l of lines) {
      const units = BigInt(l.chargeable);
      used += units;
      const max0 = (x: bigint) => (x > 0n ? x : 0n);
      const charged = l.day >= start ? max0(used - free) - max0(used - units - free) : 0n;
      sum[0] = (sum[0] as bigint) + charged;
      sum[1] = (sum[1] as bigint) + charged * BigInt(scaled(l.rate));
    }
    if (sum.some((x) => x !== 0n)) out.set(service, sum);
  }
  return sorted(out);
}

const smsAnswers = async (start: string, end: string) =>
  sorted(new Map((await smsChargedByService(t.client, { start, end })).map((r) => [r.service_id, [BigInt(r.sms_chargeable_units), BigInt(scaled(r.sms_cost))]])));

async function answers(start: string, end: string) {
  const range = { start, end };
  return {
    statusTotals: sorted(new Map((await statusTotals(t.client, range)).map((r) => [`${r.notification_type}|${r.status}`, [BigInt(r.total)]]))),
    letterLines: sorted(new Map((await letterLinesByService(t.client, range)).map((r) => [`${r.service_id}|${r.postage}|${scaled(r.rate)}`, [BigInt(r.letters), BigInt(scaled(r.cost))]]))),
    volumes: sorted(new Map((await volumesByService(t.client, range)).map((r) => [r.service_id,
      [r.sms_notifications, r.sms_chargeable_units, r.email_totals, r.letter_totals, r.letter_sheet_totals].map(BigInt).concat(BigInt(scaled(r.letter_cost)))]))),
  };
}
const expected = (start: string, end: string) => ({ statusTotals: oracle.statusTotals(start, end), letterLines: oracle.letterLines(start, end), volumes: oracle.volumes(start, end) });

describe('reports over a range read whole months from the monthly sums', () => {
  it('only once the rollups have marked them filled: until then the days alone', async () => {
    const whole = ['2023-12-01', '2024-03-31'] as const;
    const stray = { month: '2024-01-01', service_id: SERVICES[0], notification_type: 'sms', key_type: 'normal', status: 'stray', notification_count: 1000 };
    await insert(t.client, 'fact_notification_status_month', [stray]);
    expect(await answers(...whole)).toEqual(expected(...whole));
    await markFilled(t.client, 'monthlySums');
    // Now the months are read: the stray row shows (it stands for a month the days do not have).
    expect((await answers(...whole)).statusTotals).toContainEqual(['sms|stray', ['1000']]);
    await insert(t.client, 'fact_notification_status_month', [{ ...stray, notification_count: -1000 }]);
    expect(await answers(...whole)).toEqual(expected(...whole));
  });

  it('equal the sums of the daily rows for hand-picked ranges', async () => {
    for (const [start, end] of [
      ['2023-12-01', '2024-03-31'], // whole months only
      ['2024-02-01', '2024-02-29'], // one leap February
      ['2023-12-31', '2024-03-01'], // a day either side of two whole months
      ['2024-01-15', '2024-02-14'], // no whole month
      ['2023-04-01', '2024-03-31'], // a financial year, partly before the first fact
      ['2024-03-31', '2024-04-01'],
    ] as const) {
      expect(await answers(start, end), `${start}..${end}`).toEqual(expected(start, end));
    }
    // The check has teeth: the hand-picked ranges have something to add up.
    expect(expected('2023-12-01', '2024-03-31').volumes.length).toBe(2);
  });

  it('charge sms after the free allowance as the daily rows would, for ranges inside a financial year (hand-picked)', async () => {
    for (const [start, end] of [
      ['2023-04-01', '2024-03-31'], // the whole year: allowances run out in December and in January
      ['2024-01-01', '2024-01-31'], // the month of two rates alone
      ['2024-01-10', '2024-02-29'],
      ['2023-12-02', '2024-03-30'],
      ['2024-04-01', '2025-03-31'], // the next year and its allowance
      ['2024-04-15', '2024-05-10'],
    ] as const) {
      expect(await smsAnswers(start, end), `${start}..${end}`).toEqual(smsCharges(start, end));
    }
    // Hand-checked: both allowances run out in the year, so both services pay something.
    expect(smsCharges('2023-04-01', '2024-03-31').length).toBe(2);
  });

  it('charge sms after the free allowance as the daily rows would, for any range inside a financial year (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -10, max: SPAN + 10 }), fc.integer({ min: 0, max: SPAN }), async (offset, length) => {
        const start = addDays(FIRST, offset);
        const yearEnd = start >= '2024-04-01' ? '2025-03-31' : '2024-03-31';
        const end = addDays(start, length) > yearEnd ? yearEnd : addDays(start, length);
        expect(await smsAnswers(start, end)).toEqual(smsCharges(start, end));
      }),
      { numRuns: 60, seed: 20261206 },
    );
  });

  it('equal the sums of the daily rows for any range (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -10, max: SPAN + 10 }), fc.integer({ min: 0, max: SPAN }), async (offset, length) => {
        const start = addDays(FIRST, offset);
        const end = addDays(start, length);
        expect(await answers(start, end)).toEqual(expected(start, end));
      }),
      { numRuns: 60, seed: 20261206 },
    );
  });
});
