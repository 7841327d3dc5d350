import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annualBilling, get, insert, letterFact, openTestApp, organisation, service, smsFact, type TestApp } from './helpers.ts';

const ORG = 'a0000000-0000-4000-8000-000000000001';
const ALLOWANCE = 'b0000000-0000-4000-8000-000000000001'; // the spec's free-allowance example
const UNDER = 'b0000000-0000-4000-8000-000000000002'; // stays inside its allowance
const LETTERS = 'b0000000-0000-4000-8000-000000000003'; // trial and inactive, letters only
const ALPHA = 'b0000000-0000-4000-8000-000000000004'; // no allowance row, one letter
const UNKNOWN = 'b0000000-0000-4000-8000-000000000005'; // facts but no reference data yet

let t: TestApp;
const URL = '/platform-stats/data-for-billing-report?start_date=2019-05-01&end_date=2019-06-30';

beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'ref_organisations', [
    organisation({ id: ORG, name: 'Org One', po: 'PO-ORG', names: 'Org Contact', emails: 'org@example.com', reference: 'ORG-REF' }),
  ]);
  await insert(t.client, 'ref_services', [
    service({ id: ALLOWANCE, name: 'Zeta service', organisation_id: ORG, po: 'PO-SVC' }),
    service({ id: ALPHA, name: 'Alpha service', organisation_id: ORG }),
    service({ id: UNDER, name: 'Under allowance' }),
    service({ id: LETTERS, name: 'Letters', restricted: true, active: false, reference: 'SVC-REF' }),
  ]);
  await insert(t.client, 'ref_annual_billing', [
    annualBilling(ALLOWANCE, 2018, 1000), // another year: must not apply
    annualBilling(ALLOWANCE, 2019, 10),
    annualBilling(ALLOWANCE, 2020, 1000),
    annualBilling(UNDER, 2019, 10),
  ]);
  const rate = '0.11';
  await insert(t.client, 'fact_billing', [
    // allowance 10: 12 units before the range use it up, so 1 + 2 units are charged in the range.
    smsFact({ day: '2019-04-24', service_id: ALLOWANCE, units: 12, rate }),
    smsFact({ day: '2019-05-03', service_id: ALLOWANCE, units: 1, rate }),
    smsFact({ day: '2019-05-08', service_id: ALLOWANCE, units: 2, rate }),
    smsFact({ day: '2019-07-01', service_id: ALLOWANCE, units: 50, rate }), // after the range
    // The previous financial year does not eat into this year's allowance.
    smsFact({ day: '2019-03-31', service_id: UNDER, units: 100, rate }),
    smsFact({ day: '2019-05-10', service_id: UNDER, units: 5, rate }),
    smsFact({ day: '2019-05-10', service_id: ALPHA, units: 2, rate }),
    letterFact({ day: '2019-05-10', service_id: ALPHA, postage: 'first', rate: '0.5', letters: 1 }),
    letterFact({ day: '2019-05-02', service_id: LETTERS, postage: 'second', rate: '0.45', letters: 2 }),
    letterFact({ day: '2019-05-03', service_id: LETTERS, postage: 'second', rate: '0.45', letters: 1, sheets: 2 }),
    letterFact({ day: '2019-05-03', service_id: LETTERS, postage: 'europe', rate: '1.55', letters: 2 }),
    letterFact({ day: '2019-05-04', service_id: LETTERS, postage: 'rest-of-world', rate: '1.55', letters: 1 }),
    letterFact({ day: '2019-05-04', service_id: LETTERS, postage: 'economy', rate: '0.638', letters: 1 }),
    letterFact({ day: '2019-05-05', service_id: LETTERS, postage: 'first', rate: '0.995', letters: 2 }),
    letterFact({ day: '2019-05-05', service_id: UNKNOWN, postage: 'second', rate: '0.45', letters: 1 }),
  ]);
});
afterAll(() => t.close());

describe('GET /platform-stats/data-for-billing-report', () => {
  it('charges only what the free allowance leaves, prices letters and falls back for billing fields', async () => {
    const res = await get(t.app, URL);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-data-as-of']).toBe('2024-01-01T00:00:00.000Z');
    expect(res.headers.etag).toBeTruthy();
    expect(res.json()).toEqual([
      {
        organisation_id: ORG,
        organisation_name: 'Org One',
        service_id: ALPHA,
        service_name: 'Alpha service',
        sms_cost: 0.22, // no allowance row: allowance 0
        sms_chargeable_units: 2,
        total_letters: 1,
        letter_cost: 0.5,
        letter_breakdown: '1 first class letters at 50p\n',
        purchase_order_number: 'PO-ORG',
        contact_names: 'Org Contact',
        contact_email_addresses: 'org@example.com',
        billing_reference: 'ORG-REF',
      },
      {
        organisation_id: ORG,
        organisation_name: 'Org One',
        service_id: ALLOWANCE,
        service_name: 'Zeta service',
        sms_cost: 0.33,
        sms_chargeable_units: 3,
        total_letters: 0,
        letter_cost: 0,
        letter_breakdown: '',
        purchase_order_number: 'PO-SVC', // the service's own value wins
        contact_names: 'Org Contact',
        contact_email_addresses: 'org@example.com',
        billing_reference: 'ORG-REF',
      },
      // No organisation: blanks sort last; trial and inactive services still bill.
      {
        organisation_id: '',
        organisation_name: '',
        service_id: UNKNOWN,
        service_name: '',
        sms_cost: 0,
        sms_chargeable_units: 0,
        total_letters: 1,
        letter_cost: 0.45,
        letter_breakdown: '1 second class letters at 45p\n',
        purchase_order_number: null,
        contact_names: null,
        contact_email_addresses: null,
        billing_reference: null,
      },
      {
        organisation_id: '',
        organisation_name: '',
        service_id: LETTERS,
        service_name: 'Letters',
        sms_cost: 0,
        sms_chargeable_units: 0,
        total_letters: 9,
        letter_cost: 8.628, // 0.638 + 3 x 0.45 + 2 x 0.995 + 3 x 1.55, exactly
        letter_breakdown:
          '1 economy class letters at 64p\n3 second class letters at 45p\n2 first class letters at 100p\n3 international letters at £1.55\n',
        purchase_order_number: null,
        contact_names: null,
        contact_email_addresses: null,
        billing_reference: 'SVC-REF',
      },
    ]);
  });

  it('omits a service whose usage stays inside its allowance', async () => {
    const ids = ((await get(t.app, URL)).json() as Array<{ service_id: string }>).map((r) => r.service_id);
    expect(ids).not.toContain(UNDER);
  });

  it('counts usage before start_date against the allowance but charges only days in the range', async () => {
    // 12 units by 2019-04-24 against 10 free: 2 charged on that day.
    const april = await get(t.app, '/platform-stats/data-for-billing-report?start_date=2019-04-01&end_date=2019-04-30');
    const row = (april.json() as Array<{ service_id: string; sms_chargeable_units: number; sms_cost: number }>).find((r) => r.service_id === ALLOWANCE);
    expect(row).toMatchObject({ sms_chargeable_units: 2, sms_cost: 0.22 });
  });

  it('answers CSV with the JSON field order as header', async () => {
    const res = await get(t.app, URL, { accept: 'text/csv' });
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const [header, first] = res.body.split('\n');
    expect(header).toBe(
      '\uFEFForganisation_id,organisation_name,service_id,service_name,sms_cost,sms_chargeable_units,total_letters,letter_cost,' +
        'letter_breakdown,purchase_order_number,contact_names,contact_email_addresses,billing_reference',
    );
    expect(first).toBe(`${ORG},Org One,${ALPHA},Alpha service,0.22,2,1,0.5,"1 first class letters at 50p`);
  });

  it('answers 304 for an unchanged report', async () => {
    const first = await get(t.app, URL);
    const again = await get(t.app, URL, { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
  });
});
