import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { INVALID_TOKEN } from '../src/auth/jwt.ts';
import { SERVICE_KEY_CACHE_MS } from '../src/auth/service-key.ts';
import { adminToken, annualBilling, get, insert, letterFact, openTestApp, service, smsFact, type TestApp } from './helpers.ts';

const S = 'c4000000-0000-4000-8000-000000000001';
const B = 'c4000000-0000-4000-8000-000000000002';
const SECRET = 'cost-resume-secret-0123456789abcdef';
const B_KEY = { id: 'd4000000-0000-4000-8000-0000000000b1', secret: 'b-secret-0123456789abcdefghijklmnop' };
const REVOKED = { id: 'd4000000-0000-4000-8000-0000000000ff', secret: 'revoked-secret-0123456789abcdefghi' };

// Today is 15 May 2024 (BST) in every test: last month is April 2024.
const NOW = new Date('2024-05-15T12:00:00Z');

let version = 0;
const apiKeyRow = (id: string, serviceId: string, secret: string, revoked = false) => ({
  key: `api_key:${id}`,
  id,
  service_id: serviceId,
  secret,
  revoked,
  version: ++version,
  is_deleted: 0,
});

// Each test gets keys of its own: the limit is 5 requests a minute per key.
let keyNo = 0;
async function newKey(serviceId = S): Promise<string> {
  const id = `d4000000-0000-4000-8000-${String(++keyNo).padStart(12, '0')}`;
  await insert(t.client, 'ref_api_keys', [apiKeyRow(id, serviceId, SECRET)]);
  return `${id}:${SECRET}`;
}

let t: TestApp;
const ask = (query: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url: `/v1/statistics/cost-resume?${query}`, headers });

const month = (month: string, year: string, m: string, date: number, cost = '0', nb_send = '0') => ({ month, year, m, date, type: 'month', cost, nb_send });
// London midnights of month starts: +0100 from April to October.
const MAY_2023 = month('may', '2023', '05', 1682895600, '0.2', '10');
const JUNE_2023 = month('june', '2023', '06', 1685574000);
const JULY_2023 = month('july', '2023', '07', 1688166000);
const AUGUST_2023 = month('august', '2023', '08', 1690844400);
const SEPTEMBER_2023 = month('september', '2023', '09', 1693522800);
const OCTOBER_2023 = month('october', '2023', '10', 1696114800, '0.06', '3');
const NOVEMBER_2023 = month('november', '2023', '11', 1698796800);
const DECEMBER_2023 = month('december', '2023', '12', 1701388800);
const JANUARY_2024 = month('january', '2024', '01', 1704067200);
const FEBRUARY_2024 = month('february', '2024', '02', 1706745600);
const MARCH_2024 = month('march', '2024', '03', 1709251200, '0.02', '1');
const APRIL_2024 = month('april', '2024', '04', 1711926000, '0.1', '9');

beforeAll(async () => {
  // Keys are added in the middle of tests, on a frozen clock: read them at every request.
  t = await openTestApp({ apiKeyCacheMs: 0 });
  await insert(t.client, 'ref_services', [service({ id: S, name: 'Cost service' }), service({ id: B, name: 'Other service' })]);
  await insert(t.client, 'ref_api_keys', [apiKeyRow(B_KEY.id, B, B_KEY.secret), apiKeyRow(REVOKED.id, S, REVOKED.secret, true)]);
  // No allowance in FY2023; 5 free units in FY2024.
  await insert(t.client, 'ref_annual_billing', [annualBilling(S, 2024, 5)]);
  await insert(t.client, 'fact_billing', [
    smsFact({ day: '2023-05-10', service_id: S, units: 10, rate: '0.02' }),
    smsFact({ day: '2023-10-31', service_id: S, units: 3, rate: '0.02' }),
    smsFact({ day: '2024-03-31', service_id: S, units: 1, rate: '0.02' }),
    smsFact({ day: '2024-04-01', service_id: S, units: 7, rate: '0.025' }), // 2 beyond the allowance: 0.05
    smsFact({ day: '2024-04-30', service_id: S, units: 2, rate: '0.025' }), // 0.05
    smsFact({ day: '2024-05-02', service_id: S, units: 4, rate: '0.025' }), // this month: never in these intervals
    letterFact({ day: '2024-04-10', service_id: S, postage: 'first', rate: '0.75', letters: 4 }), // sms only
    smsFact({ day: '2024-04-10', service_id: B, units: 40, rate: '0.025' }),
  ]);
});
afterAll(() => t.close());
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
});
afterEach(() => vi.useRealTimers());

describe('GET /v1/statistics/cost-resume', () => {
  it('interval=last_month: the previous London month', async () => {
    const res = await ask(`apiKey=${await newKey()}&interval=last_month`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBeTruthy();
    expect(res.json()).toEqual({ success: true, datas: [APRIL_2024] });
  });

  it('interval=last_twelve_months: the twelve months before this one, empty ones included', async () => {
    const res = await ask(`apiKey=${await newKey()}&interval=last_twelve_months`);
    expect(res.json()).toEqual({
      success: true,
      datas: [
        MAY_2023, JUNE_2023, JULY_2023, AUGUST_2023, SEPTEMBER_2023, OCTOBER_2023,
        NOVEMBER_2023, DECEMBER_2023, JANUARY_2024, FEBRUARY_2024, MARCH_2024, APRIL_2024,
      ],
    });
  });

  it('interval=custom: from..to inclusive, its end months only counting their days in range', async () => {
    const key = await newKey();
    expect((await ask(`apiKey=${key}&interval=custom&from=31-10-2023&to=01-04-2024`)).json()).toEqual({
      success: true,
      datas: [OCTOBER_2023, NOVEMBER_2023, DECEMBER_2023, JANUARY_2024, FEBRUARY_2024, MARCH_2024, { ...APRIL_2024, cost: '0.05', nb_send: '7' }],
    });
    // The peer's own example asks for a single day.
    expect((await ask(`apiKey=${key}&interval=custom&from=30-04-2024&to=30-04-2024`)).json()).toEqual({
      success: true,
      datas: [{ ...APRIL_2024, cost: '0.05', nb_send: '2' }],
    });
    // A day after the allowance was used up costs the same as in the billing report.
    expect((await ask(`apiKey=${key}&interval=custom&from=02-04-2024&to=30-04-2024`)).json()).toEqual({
      success: true,
      datas: [{ ...APRIL_2024, cost: '0.05', nb_send: '2' }],
    });
  });

  it("costs equal the billing report's sms_cost for the same service and days", async () => {
    const report = (await get(t.app, '/platform-stats/data-for-billing-report?start_date=2024-04-01&end_date=2024-04-30')).json() as Array<{
      service_id: string;
      sms_cost: number;
    }>;
    expect(report.find((r) => r.service_id === S)?.sms_cost).toBe(0.1);
    const res = await ask(`apiKey=${await newKey()}&interval=last_month`);
    expect(Number(res.json().datas[0].cost)).toBe(0.1);
  });

  it('also accepts a service bearer token, and an admin token with service_id', async () => {
    const secret = 'bearer-only-secret-0123456789abcdef';
    await insert(t.client, 'ref_api_keys', [apiKeyRow('d4000000-0000-4000-8000-0000000000bb', S, secret)]);
    // Past the key cache's lifetime, so the new key is seen.
    vi.setSystemTime(NOW.getTime() + SERVICE_KEY_CACHE_MS + 1);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(S).setIssuedAt().sign(new TextEncoder().encode(secret));
    const byToken = await ask('interval=last_month', { authorization: `Bearer ${token}` });
    expect(byToken.json()).toEqual({ success: true, datas: [APRIL_2024] });
    const admin = await ask(`interval=last_month&service_id=${B}`, { authorization: `Bearer ${await adminToken()}` });
    expect(admin.json()).toEqual({ success: true, datas: [{ ...APRIL_2024, cost: '1', nb_send: '40' }] });
  });

  it("never answers another service's numbers", async () => {
    const res = await ask(`apiKey=${B_KEY.id}:${B_KEY.secret}&interval=last_month`);
    expect(res.json()).toEqual({ success: true, datas: [{ ...APRIL_2024, cost: '1', nb_send: '40' }] });
    const other = await ask(`apiKey=${B_KEY.id}:${B_KEY.secret}&interval=last_month&service_id=${S}`);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toEqual({
      success: false,
      code: 10,
      message: "A service key can only read its own service: leave service_id out or set it to the key's service",
    });
    // S's key id with B's secret is no key at all.
    const mixed = await ask(`apiKey=${(await newKey()).split(':')[0]}:${B_KEY.secret}&interval=last_month`);
    expect(mixed.json()).toEqual({ success: false, code: 10, message: 'Incorrect API Key' });
  });

  it('answers the peer codes: 1 when no key is given, 10 when it is wrong', async () => {
    const required = { success: false, code: 1, message: 'API Key is required' };
    const incorrect = { success: false, code: 10, message: 'Incorrect API Key' };
    const valid = await newKey();
    const [validId] = valid.split(':');
    const cases: Array<[string, number, object]> = [
      ['interval=last_month', 401, required],
      ['apiKey=&interval=last_month', 401, required],
      ['apiKey=nonsense&interval=last_month', 403, incorrect],
      [`apiKey=${validId}&interval=last_month`, 403, incorrect], // no secret
      [`apiKey=${validId}:&interval=last_month`, 403, incorrect],
      [`apiKey=not-a-uuid:${SECRET}&interval=last_month`, 403, incorrect],
      [`apiKey=${validId}:${SECRET}x&interval=last_month`, 403, incorrect],
      [`apiKey=${validId}:${SECRET.slice(0, -1)}&interval=last_month`, 403, incorrect],
      [`apiKey=d4000000-0000-4000-8000-999999999999:${SECRET}&interval=last_month`, 403, incorrect], // unknown id
      [`apiKey=${REVOKED.id}:${REVOKED.secret}&interval=last_month`, 403, incorrect],
      [`apiKey=${valid}&apiKey=${valid}&interval=last_month`, 403, incorrect],
    ];
    for (const [query, status, body] of cases) {
      const res = await ask(query);
      expect(res.statusCode, query).toBe(status);
      expect(res.json(), query).toEqual(body);
    }
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(S).setIssuedAt().sign(new TextEncoder().encode('wrong-0123456789'));
    const badToken = await ask('interval=last_month', { authorization: `Bearer ${forged}` });
    expect(badToken.statusCode).toBe(403);
    expect(badToken.json()).toEqual({ success: false, code: 10, message: INVALID_TOKEN });
    const both = await ask(`apiKey=${valid}&interval=last_month`, { authorization: `Bearer ${forged}` });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toEqual({ success: false, code: 400, message: 'Send the API key either as apiKey or in the Authorization header, not both' });
  });

  it('answers 400 in the peer envelope for a bad interval or dates', async () => {
    let key = '';
    const cases: Array<[string, string]> = [
      ['', 'interval is required, one of last_month, last_twelve_months, custom'],
      ['interval=yesterday', 'interval is required, one of last_month, last_twelve_months, custom'],
      ['interval=custom', 'from is required with interval=custom, a date DD-MM-YYYY from 01-01-1970'],
      ['interval=custom&from=2024-04-01&to=30-04-2024', 'from is required with interval=custom, a date DD-MM-YYYY from 01-01-1970'],
      ['interval=custom&from=01-04-2024&to=31-04-2024', 'to is required with interval=custom, a date DD-MM-YYYY from 01-01-1970'],
      ['interval=custom&from=1-4-2024&to=30-04-2024', 'from is required with interval=custom, a date DD-MM-YYYY from 01-01-1970'],
      ['interval=custom&from=31-12-1969&to=30-04-2024', 'from is required with interval=custom, a date DD-MM-YYYY from 01-01-1970'],
      ['interval=custom&from=30-04-2024&to=01-04-2024', 'from must not be after to'],
      ['interval=custom&from=01-01-1970&to=31-12-9999', 'from..to holds 96360 months, more than the 3660 allowed: narrow it'],
    ];
    for (const [i, [query, message]] of cases.entries()) {
      // Invalid requests count against the key too: a fresh key every 4 keeps clear of the limit.
      if (i % 4 === 0) key = await newKey();
      const res = await ask(`apiKey=${key}&${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toEqual({ success: false, code: 400, message });
    }
  });

  it('allows 5 requests a minute per key: the 6th is 429 with Retry-After', async () => {
    const id = 'd4000000-0000-4000-8000-0000000000aa';
    const secret = 'rate-limited-secret-0123456789abcdef';
    await insert(t.client, 'ref_api_keys', [apiKeyRow(id, S, secret)]);
    for (let i = 1; i <= 5; i++) {
      const res = await ask(`apiKey=${id}:${secret}&interval=last_month`);
      expect(res.statusCode, `request ${i}`).toBe(200);
      expect(res.headers['x-ratelimit-remaining'], `request ${i}`).toBe(String(5 - i));
    }
    const sixth = await ask(`apiKey=${id}:${secret}&interval=last_month`);
    expect(sixth.statusCode).toBe(429);
    expect(sixth.headers['retry-after']).toBe('60');
    expect(sixth.json()).toEqual({ success: false, code: 429, message: 'Rate limit exceeded: at most 5 requests per minute per API key, retry in 1 minute' });
    // Twelve seconds on (past any cached key lookup, inside the minute): a bearer token signed
    // with the same key's secret is the same key, and is refused too.
    vi.setSystemTime(NOW.getTime() + 12_000);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(S).setIssuedAt().sign(new TextEncoder().encode(secret));
    const byToken = await ask('interval=last_month', { authorization: `Bearer ${token}` });
    expect(byToken.statusCode).toBe(429);
    expect(byToken.headers['retry-after']).toBe('48');
    // Failed authentication costs nobody anything; another key of the service has its own budget.
    for (let i = 0; i < 6; i++) expect((await ask(`apiKey=${id}:${secret}x&interval=last_month`)).statusCode).toBe(403);
    expect((await ask(`apiKey=${await newKey()}&interval=last_month`)).statusCode).toBe(200);
    // A minute after the first request the key works again.
    vi.setSystemTime(NOW.getTime() + 60_000);
    expect((await ask(`apiKey=${id}:${secret}&interval=last_month`)).statusCode).toBe(200);
  });

  it('puts no per-key limit on other routes; they have the per-client limit of every route', async () => {
    const token = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(S).setIssuedAt().sign(new TextEncoder().encode(SECRET));
    for (let i = 0; i < 7; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/v2/stats/messaging', headers: { authorization: `Bearer ${await token()}` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('600');
    }
    expect((await get(t.app, '/platform-stats')).headers['x-ratelimit-limit']).toBe('600');
  });
});
