import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { INVALID_TOKEN } from '../src/auth/jwt.ts';
import { SERVICE_KEY_CACHE_MS } from '../src/auth/service-key.ts';
import { adminToken, insert, openTestApp, service, smsFact, type TestApp } from './helpers.ts';

// Service keys and their tokens (the shared helpers only know the admin client).
const A = 'c1000000-0000-4000-8000-00000000000a';
const B = 'c1000000-0000-4000-8000-00000000000b';
const C = 'c1000000-0000-4000-8000-00000000000c'; // every key revoked
const KEY_A = { id: 'd1000000-0000-4000-8000-0000000000a1', secret: 'secret-of-a-0123456789abcdefghijklmn' };
const KEY_A_REVOKED = { id: 'd1000000-0000-4000-8000-0000000000a2', secret: 'revoked-secret-of-a-0123456789abcdef' };
const KEY_A_LATER = { id: 'd1000000-0000-4000-8000-0000000000a3', secret: 'later-revoked-of-a-0123456789abcdef' };
const KEY_B = { id: 'd1000000-0000-4000-8000-0000000000b1', secret: 'secret-of-b-0123456789abcdefghijklmn' };
const KEY_C = { id: 'd1000000-0000-4000-8000-0000000000c1', secret: 'secret-of-c-0123456789abcdefghijklmn' };
// Stored before the contract required 32 characters: it never authenticates.
const D = 'c1000000-0000-4000-8000-00000000000d';
const KEY_D_SHORT = { id: 'd1000000-0000-4000-8000-0000000000d1', secret: 'short-secret-0123456789' };

let version = 1000;
const apiKey = (k: { id: string; secret: string }, serviceId: string, revoked = false) => ({
  key: `api_key:${k.id}`,
  id: k.id,
  service_id: serviceId,
  secret: k.secret,
  revoked,
  version: ++version,
  is_deleted: 0,
});

function serviceToken(iss: string, secret: string, iat = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(iss).setIssuedAt(iat).sign(new TextEncoder().encode(secret));
}

// 2024-05-10 is a BST day: its London midnight is 2024-05-09T23:00:00Z.
const RANGE = 'start=1715295600&end=1715382000';
const MESSAGING = `/v2/stats/messaging?${RANGE}`;
const SPENDING = `/v2/stats/spending?${RANGE}`;

let t: TestApp;
const ask = (url: string, authorization?: string) =>
  t.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });
const bearer = async (iss: string, secret: string, iat?: number) => `Bearer ${await serviceToken(iss, secret, iat)}`;

beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'ref_services', [service({ id: A, name: 'Service A' }), service({ id: B, name: 'Service B' })]);
  await insert(t.client, 'ref_api_keys', [
    apiKey(KEY_A, A),
    apiKey(KEY_A_REVOKED, A, true),
    apiKey(KEY_A_LATER, A),
    apiKey(KEY_B, B),
    apiKey(KEY_C, C, true),
    apiKey(KEY_D_SHORT, D),
  ]);
  // No allowance rows: every unit is charged. A: 3 units at 0.02; B: 7 units at 0.02.
  await insert(t.client, 'fact_billing', [
    smsFact({ day: '2024-05-10', service_id: A, units: 3, rate: '0.02' }),
    smsFact({ day: '2024-05-10', service_id: B, units: 7, rate: '0.02' }),
  ]);
});
afterAll(() => t.close());
afterEach(() => vi.useRealTimers());

const TOKEN_ERROR = (message: string, status = 403) => ({ message, status_code: status });

describe('service authentication on /v2/stats', () => {
  it.each([MESSAGING, SPENDING])('%s needs a token (401), before looking at the query', async (url) => {
    expect((await ask(url)).json()).toEqual(TOKEN_ERROR('Unauthorized: authentication token must be provided', 401));
    // An invalid query without credentials is still a 401, not a 400.
    const res = await ask('/v2/stats/messaging?by=week');
    expect(res.statusCode).toBe(401);
    expect((await ask(url, `Basic ${Buffer.from('a:b').toString('base64')}`)).json()).toEqual(
      TOKEN_ERROR('Unauthorized: authentication bearer scheme must be used', 401),
    );
  });

  it('answers a service token signed with an active key', async () => {
    for (const url of [MESSAGING, SPENDING]) {
      const res = await ask(url, await bearer(A, KEY_A.secret));
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['x-data-as-of']).toBe('2024-01-01T00:00:00.000Z');
      expect(res.headers.etag).toBeTruthy();
    }
  });

  it('refuses a wrong secret, a revoked key, a wrong or unknown iss and a stale or future iat', async () => {
    // One body for every credential that does not verify, whether its issuer exists or not: a
    // refusal never says which UUIDs are services with keys.
    const cases: Array<[string, string, { message: string; status_code: number }]> = [
      ['wrong secret', await bearer(A, 'not-the-secret-0123456789'), TOKEN_ERROR(INVALID_TOKEN)],
      ['revoked key', await bearer(A, KEY_A_REVOKED.secret), TOKEN_ERROR(INVALID_TOKEN)],
      ["A's secret, B's iss", await bearer(B, KEY_A.secret), TOKEN_ERROR(INVALID_TOKEN)],
      ['service whose keys are all revoked', await bearer(C, KEY_C.secret), TOKEN_ERROR(INVALID_TOKEN)],
      ['unknown service', await bearer('c1000000-0000-4000-8000-0000000000ff', KEY_A.secret), TOKEN_ERROR(INVALID_TOKEN)],
      ['iss neither a service nor the admin', await bearer('someone', KEY_A.secret), TOKEN_ERROR(INVALID_TOKEN)],
      ['the admin client id, a service secret', await bearer('notify-admin', KEY_A.secret), TOKEN_ERROR(INVALID_TOKEN)],
      ['a key secret shorter than 32 characters', await bearer(D, KEY_D_SHORT.secret), TOKEN_ERROR(INVALID_TOKEN)],
      ['iat 60 s ago', await bearer(A, KEY_A.secret, Math.floor(Date.now() / 1000) - 60), TOKEN_ERROR('Invalid token: iat must be within 30 seconds of now')],
      ['iat 60 s ahead', await bearer(A, KEY_A.secret, Math.floor(Date.now() / 1000) + 60), TOKEN_ERROR('Invalid token: iat must be within 30 seconds of now')],
      ['not a JWT', 'Bearer not.a.jwt', TOKEN_ERROR('Invalid token: unable to decode')],
    ];
    for (const [name, authorization, body] of cases) {
      for (const url of [MESSAGING, SPENDING]) {
        const res = await ask(url, authorization);
        expect(res.statusCode, `${name} ${url}`).toBe(body.status_code);
        expect(res.json(), `${name} ${url}`).toEqual(body);
      }
    }
  });

  it('stops honouring a revoked key within the cache bound', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    expect((await ask(MESSAGING, await bearer(A, KEY_A_LATER.secret))).statusCode).toBe(200);
    await insert(t.client, 'ref_api_keys', [apiKey(KEY_A_LATER, A, true)]);
    // Inside the bound the cached lookup still answers; this is the documented staleness.
    expect((await ask(MESSAGING, await bearer(A, KEY_A_LATER.secret))).statusCode).toBe(200);
    vi.setSystemTime(Date.now() + SERVICE_KEY_CACHE_MS + 1);
    const res = await ask(MESSAGING, await bearer(A, KEY_A_LATER.secret));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual(TOKEN_ERROR(INVALID_TOKEN));
    // The service's other key is unaffected.
    expect((await ask(MESSAGING, await bearer(A, KEY_A.secret))).statusCode).toBe(200);
  });
});

describe('isolation between services', () => {
  const costs = async (url: string, authorization: string) => {
    const res = await ask(url, authorization);
    expect(res.statusCode, url).toBe(200);
    return (res.json() as Array<{ costs: number; messagesSentParts: number }>)[0];
  };

  it("answers each service's own numbers", async () => {
    expect(await costs(MESSAGING, await bearer(A, KEY_A.secret))).toMatchObject({ costs: 0.06, messagesSentParts: 3 });
    expect(await costs(MESSAGING, await bearer(B, KEY_B.secret))).toMatchObject({ costs: 0.14, messagesSentParts: 7 });
    const spendingA = (await ask(SPENDING, await bearer(A, KEY_A.secret))).json();
    expect(spendingA.resources).toHaveLength(1);
    expect(spendingA.resources[0]).toMatchObject({ delta: -0.06, value: 3 });
    const spendingB = (await ask(SPENDING, await bearer(B, KEY_B.secret))).json();
    expect(spendingB.resources[0]).toMatchObject({ delta: -0.14, value: 7 });
  });

  it("refuses a service token that names another service's service_id, accepts its own", async () => {
    for (const url of [MESSAGING, SPENDING]) {
      const res = await ask(`${url}&service_id=${B}`, await bearer(A, KEY_A.secret));
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(
        TOKEN_ERROR("A service key can only read its own service: leave service_id out or set it to the key's service"),
      );
      expect((await ask(`${url}&service_id=not-a-uuid`, await bearer(A, KEY_A.secret))).statusCode).toBe(403);
    }
    expect(await costs(`${MESSAGING}&service_id=${A.toUpperCase()}`, await bearer(A, KEY_A.secret))).toMatchObject({ costs: 0.06 });
  });

  it('lets an admin token read any service, by service_id only', async () => {
    const admin = `Bearer ${await adminToken()}`;
    expect(await costs(`${MESSAGING}&service_id=${B}`, admin)).toMatchObject({ costs: 0.14, messagesSentParts: 7 });
    expect(await costs(`${MESSAGING}&service_id=${A}`, admin)).toMatchObject({ costs: 0.06, messagesSentParts: 3 });
    const missing = await ask(MESSAGING, admin);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual(TOKEN_ERROR('service_id is required with an admin token', 400));
    for (const bad of ['nope', `${A}x`, '']) {
      const res = await ask(`${SPENDING}&service_id=${bad}`, admin);
      expect(res.statusCode, bad).toBe(400);
    }
    const forged = `Bearer ${await adminToken('some-other-secret-0123456789')}`;
    expect((await ask(`${MESSAGING}&service_id=${A}`, forged)).statusCode).toBe(403);
  });

  it('keeps the admin-only reports closed to service tokens', async () => {
    const res = await ask('/platform-stats?start_date=2024-05-10&end_date=2024-05-10', await bearer(A, KEY_A.secret));
    expect(res.statusCode).toBe(403);
  });
});

// Whatever the query, these endpoints answer 4xx at worst. An admin token with a random service_id
// reaches every check (the cost summary's rate limit counts per service for admins).
const unix = fc.oneof(fc.integer({ min: -10, max: 253_402_300_810 }).map(String), fc.constantFrom('0', '253402300799', '253402300800', '1e3', '0x10', ' 1', ''));
const peerDay = fc
  .tuple(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 9999 }))
  .map(([d, m, y]) => `${String(d).padStart(2, '0')}-${String(m).padStart(2, '0')}-${String(y).padStart(4, '0')}`);
const fuzzValue = fc.oneof(
  unix,
  peerDay,
  fc.constantFrom('off', 'day', 'month', 'year', 'sms', 'email', 'letter', 'last_month', 'last_twelve_months', 'custom', '1', '100', '101'),
  fc.string({ maxLength: 12 }),
);
const fuzzKey = fc.oneof(
  fc.constantFrom('by', 'start', 'end', 'notification_type', 'page', 'limit', 'interval', 'from', 'to', 'apiKey'),
  fc.string({ maxLength: 4 }),
);
const fuzzQuery = fc
  .tuple(fc.uuid(), fc.array(fc.tuple(fuzzKey, fuzzValue), { maxLength: 6 }))
  .map(([id, pairs]) => [`service_id=${id}`, ...pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)].join('&'));

describe('any query string', () => {
  it.each(['/v2/stats/messaging', '/v2/stats/spending', '/v1/statistics/cost-resume'])('never makes %s answer 5xx', async (path) => {
    const authorization = `Bearer ${await adminToken()}`;
    await fc.assert(
      fc.asyncProperty(fuzzQuery, async (query) => {
        const res = await ask(`${path}?${query}`, authorization);
        expect(res.statusCode, query).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
