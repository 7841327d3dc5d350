import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annualBilling, emailFact, get, insert, letterFact, openTestApp, organisation, service, smsFact, type TestApp } from './helpers.ts';

const ORG = 'a0000000-0000-4000-8000-000000000001';
const BUSY = 'c0000000-0000-4000-8000-000000000001';
const QUIET = 'c0000000-0000-4000-8000-000000000002';
const TRIAL = 'c0000000-0000-4000-8000-000000000003';
const INACTIVE = 'c0000000-0000-4000-8000-000000000004';
const NOT_COUNTED = 'c0000000-0000-4000-8000-000000000005';
const DELETED = 'c0000000-0000-4000-8000-000000000006';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'ref_organisations', [organisation({ id: ORG, name: 'Org One' })]);
  await insert(t.client, 'ref_services', [
    service({ id: BUSY, name: 'Busy (old name)', organisation_id: ORG }),
    service({ id: QUIET, name: 'Quiet' }),
    service({ id: TRIAL, name: 'Trial', restricted: true }),
    service({ id: INACTIVE, name: 'Inactive', active: false }),
    service({ id: NOT_COUNTED, name: 'Not counted', count_as_live: false }),
    service({ id: DELETED, name: 'Deleted' }),
  ]);
  // A later message for the same key replaces the row; a tombstone removes it.
  await insert(t.client, 'ref_services', [
    service({ id: BUSY, name: 'Busy', organisation_id: ORG }),
    { ...service({ id: DELETED, name: 'Deleted' }), is_deleted: 1 },
  ]);
  await insert(t.client, 'ref_annual_billing', [
    annualBilling(BUSY, 2019, 250000),
    annualBilling(BUSY, 2020, 300000),
    annualBilling(QUIET, 2019, 5000), // FY2019 only: the FY(end_date) = 2020 allowance is 0
  ]);
  await insert(t.client, 'fact_billing', [
    smsFact({ day: '2020-03-31', service_id: BUSY, units: 10, sent: 4, multiplier: 3, rate: '0.0158', provider: 'mmg' }),
    smsFact({ day: '2020-03-31', service_id: BUSY, units: 2, sent: 1, rate: '0.0158', provider: 'firetext' }),
    smsFact({ day: '2020-03-31', service_id: TRIAL, units: 3, sent: 3, rate: '0.0158', provider: 'firetext' }),
    emailFact({ day: '2020-03-31', service_id: BUSY, sent: 7 }),
    letterFact({ day: '2020-03-31', service_id: BUSY, postage: 'second', rate: '0.3', letters: 2, sheets: 2 }),
    letterFact({ day: '2020-03-31', service_id: BUSY, postage: 'first', rate: '0.1', letters: 1, sheets: 1 }),
    emailFact({ day: '2020-04-02', service_id: BUSY, sent: 5 }),
    smsFact({ day: '2020-04-02', service_id: BUSY, units: 1, rate: '0.0227', provider: 'mmg' }),
    emailFact({ day: '2020-04-05', service_id: BUSY, sent: 100 }), // after the range
    // Keys whose counters sum to zero (the rollups' signed sums can cancel out) are no facts:
    // 2020-04-01 has no row in the daily reports below.
    emailFact({ day: '2020-04-01', service_id: BUSY, sent: 0 }),
    smsFact({ day: '2020-04-01', service_id: BUSY, units: 0, sent: 0, rate: '0.0227', provider: 'mmg' }),
  ]);
});
afterAll(() => t.close());

const RANGE = 'start_date=2020-03-30&end_date=2020-04-03';

describe('GET /platform-stats/daily-volumes-report', () => {
  it('has one row per day with billing facts, fragments and chargeable units apart', async () => {
    const res = await get(t.app, `/platform-stats/daily-volumes-report?${RANGE}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      {
        day: '2020-03-31',
        sms_totals: 8,
        sms_fragment_totals: 15, // 10 + 2 + 3
        sms_chargeable_units: 35, // 10 x 3 + 2 + 3
        email_totals: 7,
        letter_totals: 3,
        letter_sheet_totals: 5,
      },
      { day: '2020-04-02', sms_totals: 1, sms_fragment_totals: 1, sms_chargeable_units: 1, email_totals: 5, letter_totals: 0, letter_sheet_totals: 0 },
    ]);
  });
});

describe('GET /platform-stats/daily-sms-provider-volumes-report', () => {
  it('has one row per day and provider with gross cost, sorted by day then provider', async () => {
    const res = await get(t.app, `/platform-stats/daily-sms-provider-volumes-report?${RANGE}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { day: '2020-03-31', provider: 'firetext', sms_totals: 4, sms_fragment_totals: 5, sms_chargeable_units: 5, sms_cost: 0.079 },
      { day: '2020-03-31', provider: 'mmg', sms_totals: 4, sms_fragment_totals: 10, sms_chargeable_units: 30, sms_cost: 0.474 },
      { day: '2020-04-02', provider: 'mmg', sms_totals: 1, sms_fragment_totals: 1, sms_chargeable_units: 1, sms_cost: 0.0227 },
    ]);
  });
});

describe('GET /platform-stats/volumes-by-service', () => {
  it('lists every live service, traffic or not, with the FY(end_date) allowance', async () => {
    const res = await get(t.app, `/platform-stats/volumes-by-service?${RANGE}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      {
        service_name: 'Busy',
        service_id: BUSY,
        organisation_name: 'Org One',
        organisation_id: ORG,
        free_allowance: 300000,
        sms_notifications: 6,
        sms_chargeable_units: 33,
        email_totals: 12,
        letter_totals: 3,
        letter_sheet_totals: 5,
        letter_cost: 0.7, // 2 x 0.3 + 0.1, exactly
      },
      {
        service_name: 'Quiet',
        service_id: QUIET,
        organisation_name: '',
        organisation_id: '',
        free_allowance: 0,
        sms_notifications: 0,
        sms_chargeable_units: 0,
        email_totals: 0,
        letter_totals: 0,
        letter_sheet_totals: 0,
        letter_cost: 0,
      },
    ]);
  });

  it('uses the allowance of the financial year of end_date', async () => {
    const res = await get(t.app, '/platform-stats/volumes-by-service?start_date=2020-03-30&end_date=2020-03-31');
    expect((res.json() as Array<{ free_allowance: number }>).map((r) => r.free_allowance)).toEqual([250000, 5000]);
  });

  it('answers CSV with the JSON field order as header', async () => {
    const res = await get(t.app, `/platform-stats/volumes-by-service?${RANGE}&format=csv`);
    // A UTF-8 byte order mark first, so spreadsheets read the names as UTF-8.
    expect(res.body.split('\n')).toEqual([
      '\uFEFFservice_name,service_id,organisation_name,organisation_id,free_allowance,sms_notifications,sms_chargeable_units,email_totals,letter_totals,letter_sheet_totals,letter_cost',
      `Busy,${BUSY},Org One,${ORG},300000,6,33,12,3,5,0.7`,
      `Quiet,${QUIET},,,0,0,0,0,0,0,0`,
      '',
    ]);
  });
});

describe('dates outside the engine Date range (1970-01-01..2149-06-06)', () => {
  it('do not saturate onto the first or last day', async () => {
    await insert(t.client, 'fact_billing', [
      emailFact({ day: '1970-01-01', service_id: QUIET, sent: 1 }),
      emailFact({ day: '2149-06-06', service_id: QUIET, sent: 2 }),
    ]);
    const days = async (query: string) =>
      ((await get(t.app, `/platform-stats/daily-volumes-report?${query}`)).json() as Array<{ day: string }>).map((r) => r.day);
    expect(await days('start_date=0001-01-01&end_date=0001-12-31')).toEqual([]);
    expect(await days('start_date=3000-01-01&end_date=3000-12-31')).toEqual([]);
    expect(await days('start_date=0001-01-01&end_date=1970-01-01')).toEqual(['1970-01-01']);
    expect(await days('start_date=2149-06-06&end_date=9999-12-31')).toEqual(['2149-06-06']);
  });
});
