import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, annualBilling, insert, letterFact, openTestApp, service, smsFact, type TestApp } from './helpers.ts';

const S = 'c0000000-0000-4000-8000-000000000001';
const UNDER = 'c0000000-0000-4000-8000-000000000002'; // stays inside its allowance
const KEY = { id: 'd3000000-0000-4000-8000-000000000001', secret: 'spending-secret-0123456789abcdefghi' };
const KEY_UNDER = { id: 'd3000000-0000-4000-8000-000000000002', secret: 'under-secret-0123456789abcdefghijkl' };

const apiKey = (k: { id: string; secret: string }, serviceId: string) => ({
  key: `api_key:${k.id}`,
  id: k.id,
  service_id: serviceId,
  secret: k.secret,
  revoked: false,
  version: 1,
  is_deleted: 0,
});

let t: TestApp;
async function ask(query: string, serviceId = S, secret = KEY.secret) {
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(serviceId).setIssuedAt().sign(new TextEncoder().encode(secret));
  return t.app.inject({ method: 'GET', url: `/v2/stats/spending?${query}`, headers: { authorization: `Bearer ${token}` } });
}
async function page(query: string) {
  const res = await ask(query);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { page: number; limit: number; pageCount: number; resources: Array<Record<string, unknown>> };
}

const MAR_31 = 1711843200; // London midnight 2024-03-31 (GMT)
const APR_02 = 1712012400; // London midnight 2024-04-02 (BST)
const APR_06 = 1712358000; // London midnight 2024-04-06

beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'ref_services', [service({ id: S, name: 'Spender' }), service({ id: UNDER, name: 'Frugal' })]);
  await insert(t.client, 'ref_api_keys', [apiKey(KEY, S), apiKey(KEY_UNDER, UNDER)]);
  // No allowance in FY2023, 5 units in FY2024.
  await insert(t.client, 'ref_annual_billing', [annualBilling(S, 2024, 5), annualBilling(UNDER, 2024, 1000)]);
  await insert(t.client, 'fact_billing', [
    smsFact({ day: '2024-03-31', service_id: S, units: 100, rate: '0.02' }), // FY2023: 100 charged, 2
    smsFact({ day: '2024-04-01', service_id: S, units: 7, rate: '0.025' }), // 2 beyond the 5 free, 0.05
    smsFact({ day: '2024-04-02', service_id: S, units: 3, rate: '0.025' }), // 0.075
    letterFact({ day: '2024-04-02', service_id: S, postage: 'second', rate: '0.5', letters: 2 }),
    letterFact({ day: '2024-04-02', service_id: S, postage: 'first', rate: '0.75', letters: 1 }), // letters 1.75
    letterFact({ day: '2024-04-03', service_id: S, postage: 'economy', rate: '0.638', letters: 1 }), // 0.638
    smsFact({ day: '2024-04-05', service_id: S, units: 4, rate: '0.03' }), // 0.12
    smsFact({ day: '2024-04-02', service_id: UNDER, units: 30, rate: '0.025' }),
  ]);
});
afterAll(() => t.close());

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STATEMENTS = [
  {
    date: '2024-03-31T00:00:00+0000',
    balance: 2,
    delta: -2,
    type: 'sms',
    value: 100,
    comment: '100 text message units at £0.02 beyond the free allowance',
  },
  // 1 April starts a new financial year: the balance starts again.
  { date: '2024-04-01T00:00:00+0100', balance: 0.05, delta: -0.05, type: 'sms', value: 2, comment: '2 text message units at £0.025 beyond the free allowance' },
  { date: '2024-04-02T00:00:00+0100', balance: 0.125, delta: -0.075, type: 'sms', value: 3, comment: '3 text message units at £0.025 beyond the free allowance' },
  {
    id: '41455f12-9ec4-534a-af1a-7f891924fa33', // uuid5(service id, "2024-04-02:letter")
    date: '2024-04-02T00:00:00+0100',
    balance: 1.875,
    delta: -1.75,
    type: 'letter',
    value: 3,
    comment: '2 second class letters at 50p, 1 first class letters at 75p',
  },
  { date: '2024-04-03T00:00:00+0100', balance: 2.513, delta: -0.638, type: 'letter', value: 1, comment: '1 economy class letters at 64p' },
  { date: '2024-04-05T00:00:00+0100', balance: 2.633, delta: -0.12, type: 'sms', value: 4, comment: '4 text message units at £0.03 beyond the free allowance' },
];
const expected = (from: number, to: number) => STATEMENTS.slice(from, to).map((s) => ({ id: expect.stringMatching(UUID_V5), ...s }));

describe('GET /v2/stats/spending', () => {
  it('lists one statement per charged day and type, oldest first, with the FY running balance', async () => {
    expect(await page(`start=${MAR_31}&end=${APR_06}&limit=100`)).toEqual({ page: 1, limit: 100, pageCount: 1, resources: expected(0, 6) });
  });

  it('keeps ids stable across calls and distinct between statements', async () => {
    const a = await page(`start=${MAR_31}&end=${APR_06}&limit=100`);
    const b = await page(`start=${MAR_31}&end=${APR_06}&limit=100`);
    expect(b.resources.map((r) => r.id)).toEqual(a.resources.map((r) => r.id));
    expect(new Set(a.resources.map((r) => r.id)).size).toBe(6);
    // The same statement has the same id in another window or page.
    const later = await page(`start=${APR_02}&end=${APR_06}`);
    expect(later.resources[1]?.id).toBe('41455f12-9ec4-534a-af1a-7f891924fa33');
  });

  it('counts charges before the window into the allowance and the balance', async () => {
    expect(await page(`start=${APR_02}&end=${APR_06}`)).toEqual({ page: 1, limit: 10, pageCount: 1, resources: expected(2, 6) });
  });

  it('paginates: pageCount, later pages, a page past the end', async () => {
    const range = `start=${MAR_31}&end=${APR_06}`;
    expect(await page(`${range}&limit=4`)).toEqual({ page: 1, limit: 4, pageCount: 2, resources: expected(0, 4) });
    expect(await page(`${range}&limit=4&page=2`)).toEqual({ page: 2, limit: 4, pageCount: 2, resources: expected(4, 6) });
    expect(await page(`${range}&limit=2&page=3`)).toEqual({ page: 3, limit: 2, pageCount: 3, resources: expected(4, 6) });
    expect(await page(`${range}&limit=2&page=4`)).toEqual({ page: 4, limit: 2, pageCount: 3, resources: [] });
    expect(await page(`${range}&limit=1&page=9007199254740991`)).toEqual({ page: 9007199254740991, limit: 1, pageCount: 6, resources: [] });
    expect(await page(`${range}&limit=6`)).toMatchObject({ pageCount: 1 });
    expect(await page(`${range}&limit=5`)).toMatchObject({ pageCount: 2 });
  });

  it('has no statement (pageCount 0) when every unit is inside the allowance', async () => {
    const res = await ask(`start=${MAR_31}&end=${APR_06}`, UNDER, KEY_UNDER.secret);
    expect(res.json()).toEqual({ page: 1, limit: 10, pageCount: 0, resources: [] });
  });

  it('answers an admin token for the service it names', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v2/stats/spending?start=${APR_02}&end=${APR_06}&service_id=${S}`,
      headers: { authorization: `Bearer ${await adminToken()}` },
    });
    expect(res.json()).toEqual({ page: 1, limit: 10, pageCount: 1, resources: expected(2, 6) });
  });

  it('refuses bad page, limit and range values with 400', async () => {
    const range = `start=${MAR_31}&end=${APR_06}`;
    const cases: Array<[string, string]> = [
      ['page=0', 'page must be a whole number from 1'],
      ['page=-1', 'page must be a whole number from 1'],
      ['page=1.5', 'page must be a whole number from 1'],
      ['page=abc', 'page must be a whole number from 1'],
      ['page=', 'page must be a whole number from 1'],
      ['page=1&page=2', 'page must be a whole number from 1'],
      ['page=9007199254740992', 'page must be a whole number from 1'],
      ['limit=0', 'limit must be a whole number from 1 to 100'],
      ['limit=101', 'limit must be a whole number from 1 to 100'],
      ['limit=ten', 'limit must be a whole number from 1 to 100'],
      [`start=${APR_06}&end=${MAR_31}`, 'start must be before end'],
      ['start=x', 'start must be a unix timestamp in seconds: a whole number from 0 to 253402300799'],
    ];
    for (const [query, message] of cases) {
      const res = await ask(query.startsWith('start') ? query : `${range}&${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toEqual({ message, status_code: 400 });
    }
    expect((await page(`${range}&limit=100&page=1`)).limit).toBe(100);
    expect((await page(`${range}&limit=1`)).pageCount).toBe(6);
  });
});
