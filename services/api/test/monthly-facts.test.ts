// The readers that sum over a range take whole months from the monthly sums and the partial
// months at the ends from the daily facts (queries/query-days.ts factRows). Against an oracle in
// plain TypeScript over the daily rows inserted, for ranges that start and end anywhere: inside
// one month, across a leap February, a year's end, whole financial years.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, daysBetween } from '@notify-stats/london';
import { statusTotals } from '../src/queries/status-facts.ts';
import { letterLinesByService, volumesByService } from '../src/queries/billing-facts.ts';
import { insert, openTestApp, ZERO_UUID, type TestApp } from './helpers.ts';

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
  billingFacts.push({ day, service: SERVICES[(i + 1) % 2] as string, type: i % 4 ? 'letter' : 'sms', postage: i % 4 ? (i % 2 ? 'first' : 'second') : '', rate: RATES[i % 3] as string, sent: (i % 9) - 1, units: i % 5, chargeable: i % 4 });
}
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
      return [sms ? BigInt(f.sent) : 0n, sms ? BigInt(f.chargeable) : 0n, 0n, letter ? BigInt(f.sent) : 0n, letter ? BigInt(f.units) : 0n, letter ? BigInt(f.sent) * BigInt(scaled(f.rate)) : 0n];
    })),
};

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
