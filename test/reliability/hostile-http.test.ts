import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@notify-stats/api';
import { migrate, openClickhouse, type Clickhouse } from '@notify-stats/clickhouse';
import { tempDir } from '../support/broker.ts';
import { ADMIN, adminToken } from '../support/pipeline.ts';

const ENDPOINTS = [
  '/platform-stats',
  '/platform-stats/data-for-billing-report',
  '/platform-stats/data-for-dvla-billing-report',
  '/platform-stats/daily-volumes-report',
  '/platform-stats/daily-sms-provider-volumes-report',
  '/platform-stats/volumes-by-service',
  '/v2/stats/messaging',
  '/v2/stats/spending',
  '/v1/statistics/cost-resume',
  '/admin/rollups/status',
];
const RANGE = 'start_date=2024-04-01&end_date=2024-04-30';
const RATE_LIMIT = 40;

let ch: Clickhouse;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  ch = await openClickhouse({ path: tempDir('hostile') });
  await migrate(ch.client);
  app = await buildApp({ clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {}, rateLimitPerMinute: RATE_LIMIT });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await ch?.close();
});

const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: { iss?: string; iat?: number }, secret = ADMIN.secret) => {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (claims.iss !== undefined) jwt = jwt.setIssuer(claims.iss);
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
  return jwt.sign(new TextEncoder().encode(secret));
};
const call = async (path: string, authorization?: string) => {
  const res = await fetch(`${base}${path}`, { headers: authorization === undefined ? {} : { authorization } });
  return { status: res.status, body: await res.text() };
};

describe('hostile requests', () => {
  const badTokens: Array<[string, () => Promise<string | undefined>, number[]]> = [
    ['no header', async () => undefined, [401]],
    ['not bearer', async () => 'Basic bm90aWZ5OnNlY3JldA==', [401]],
    ['malformed token', async () => 'Bearer not.a.jwt', [403]],
    ['empty bearer', async () => 'Bearer ', [401]],
    ['alg none', async () => `Bearer ${new UnsecuredJWT({}).setIssuer(ADMIN.clientId).setIssuedAt().encode()}`, [403]],
    ['wrong secret', async () => `Bearer ${await sign({ iss: ADMIN.clientId, iat: now() }, 'someone-elses-secret-0123')}`, [403]],
    ['wrong issuer', async () => `Bearer ${await sign({ iss: 'intruder', iat: now() })}`, [403]],
    ['stale iat', async () => `Bearer ${await sign({ iss: ADMIN.clientId, iat: now() - 120 })}`, [403]],
    ['future iat', async () => `Bearer ${await sign({ iss: ADMIN.clientId, iat: now() + 120 })}`, [403]],
    ['no iat', async () => `Bearer ${await sign({ iss: ADMIN.clientId })}`, [403]],
  ];
  it.each(ENDPOINTS)('%s refuses every bad credential with 401/403 and no data', async (endpoint) => {
    for (const [name, token, statuses] of badTokens) {
      const res = await call(`${endpoint}?${RANGE}`, await token());
      expect({ name, status: res.status }).toEqual({ name, status: expect.toSatisfy((s: number) => statuses.includes(s) || (endpoint.startsWith('/v') && [400, 401, 403].includes(s))) });
      expect(res.body).not.toMatch(/"(total|sms_cost|resources|datas)"/);
    }
  });

  it('refuses an over-long query string before any route sees it', async () => {
    const res = await call(`/platform-stats?start_date=${'9'.repeat(100_000)}`, `Bearer ${await adminToken()}`);
    expect([414, 431]).toContain(res.status);
  });

  it('answers injection attempts in every parameter with the format error, never a 5xx', async () => {
    const token = `Bearer ${await adminToken()}`;
    const attempts = ["2024-01-01' OR '1'='1", '2024-01-01;DROP TABLE fact_billing', '2024-01-01%00', '{start: Date}', '2024-01-01 UNION SELECT 1', '../../etc/passwd'];
    for (const endpoint of ENDPOINTS.slice(0, 6)) {
      for (const attempt of attempts) {
        for (const param of ['start_date', 'end_date']) {
          const other = param === 'start_date' ? 'end_date=2024-04-30' : 'start_date=2024-04-01';
          const res = await call(`${endpoint}?${other}&${param}=${encodeURIComponent(attempt)}`, token);
          expect({ endpoint, attempt, status: res.status }).toEqual({ endpoint, attempt, status: 400 });
          expect(JSON.parse(res.body)).toEqual({ message: 'Input must be a date in the format: YYYY-MM-DD', status_code: 400 });
        }
      }
      // `format` belongs to the list reports; /platform-stats ignores unknown parameters.
      const format = await call(`${endpoint}?${RANGE}&format=${encodeURIComponent("csv' OR 1=1")}`, token);
      expect({ endpoint, status: format.status }).toEqual({ endpoint, status: endpoint === '/platform-stats' ? 200 : 400 });
    }
    expect((await call(`/v2/stats/messaging?service_id=${encodeURIComponent("x' OR 1=1")}`, token)).status).toBe(400);
  });

  it('answers huge date ranges without a 5xx', async () => {
    const token = `Bearer ${await adminToken()}`;
    for (const endpoint of ['/platform-stats', '/platform-stats/daily-volumes-report', '/platform-stats/daily-sms-provider-volumes-report', '/platform-stats/volumes-by-service']) {
      const res = await call(`${endpoint}?start_date=0001-01-01&end_date=9999-12-31`, token);
      expect({ endpoint, status: res.status }).toEqual({ endpoint, status: 200 });
    }
    const fy = await call('/platform-stats/data-for-billing-report?start_date=0001-01-01&end_date=9999-12-31', token);
    expect(JSON.parse(fy.body)).toEqual({ message: 'Date must be in a single financial year.', status_code: 400 });
  });

  it('never answers 5xx to fuzzed query strings on any endpoint', async () => {
    const token = `Bearer ${await adminToken()}`;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS.slice(0, 6)), fc.string({ maxLength: 60 }), async (endpoint, query) => {
        const res = await call(`${endpoint}?${encodeURI(query).replace(/#/g, '%23')}`, token);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 25 },
    );
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a client passes its limit, and keeps other clients apart', async () => {
    // A fresh app: the fuzzing above used up part of this client's budget.
    const limited = await buildApp({ clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {}, rateLimitPerMinute: 5 });
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof limited.inject>> | undefined;
      for (let i = 0; i < 7; i++) {
        last = await limited.inject({ url: `/platform-stats?${RANGE}`, headers: { authorization: `Bearer ${await adminToken()}` } });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
      expect(last?.json()).toMatchObject({ status_code: 429 });
      // Refused credentials do not use the client's budget up: they never reach the limiter.
      const forged = await limited.inject({ url: `/platform-stats?${RANGE}`, headers: { authorization: `Bearer ${await sign({ iss: ADMIN.clientId, iat: now() }, 'someone-elses-secret-0123')}` } });
      expect(forged.statusCode).toBe(403);
    } finally {
      await limited.close();
    }
  });
});
