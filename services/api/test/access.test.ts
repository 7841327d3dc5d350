import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, type AppDeps } from '../src/app.ts';
import { ROLE_MESSAGES } from '../src/auth/guard.ts';
import { INVALID_TOKEN } from '../src/auth/jwt.ts';
import { SESSION_ISSUER, SESSION_MAX_AGE_S, SESSION_MESSAGES, SESSION_TTL_S } from '../src/auth/session.ts';
import { LIMIT_MESSAGES, addressKey } from '../src/http/limits.ts';
import { buildOpsApp } from '../src/ops.ts';
import { startApi } from '../src/service.ts';
import { createLogger } from '@notify-stats/runtime';
import { ADMIN, OPERATOR, adminToken, insert, openTestApp, operatorToken, service, type TestApp } from './helpers.ts';

const S = 'c6000000-0000-4000-8000-000000000001';
const KEY = { id: 'd6000000-0000-4000-8000-000000000001', secret: 'access-key-secret-0123456789abcdef' };
const KEY2 = { id: 'd6000000-0000-4000-8000-000000000002', secret: 'access-key-two-secret-0123456789ab' };
const NOW = new Date('2024-05-15T12:00:00Z');
const RANGE = 'start_date=2024-05-01&end_date=2024-05-02';

let t: TestApp;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  t = await openTestApp();
  await insert(t.client, 'ref_services', [service({ id: S, name: 'Access service' })]);
  await insert(
    t.client,
    'ref_api_keys',
    [KEY, KEY2].map((k, i) => ({ key: `api_key:${k.id}`, id: k.id, service_id: S, secret: k.secret, revoked: false, version: i + 1, is_deleted: 0 })),
  );
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await t.close();
});
afterEach(() => vi.useRealTimers());

/** An app of its own (fresh counters) on the shared engine, with the production limits unless told. */
async function appWith(overrides: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ clickhouse: t.client, admin: ADMIN, operator: OPERATOR, dataAsOf: async () => null, readiness: {}, ...overrides });
  apps.push(app);
  return app;
}

const sign = (iss: string, secret: string, claims: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(iss).setIssuedAt().sign(new TextEncoder().encode(secret));

interface Ask {
  method?: 'GET' | 'POST' | 'DELETE';
  token?: string;
  from?: string;
}
const ask = (app: FastifyInstance, url: string, { method = 'GET', token, from = '127.0.0.1' }: Ask = {}): Promise<LightMyRequestResponse> =>
  app.inject({ method, url, remoteAddress: from, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

const ADMIN_ROUTES: Array<['GET' | 'POST', string]> = [
  ['POST', '/admin/ingest/pause'],
  ['POST', '/admin/ingest/resume'],
  ['POST', '/admin/rollups/backfill?from=2024-05-01&to=2024-05-01'],
  ['GET', '/admin/rollups/status'],
  ['GET', '/admin/pipeline/status'],
];

function pipelineStubs() {
  const calls: string[] = [];
  const deps: Partial<AppDeps> = {
    ingest: { pause: async () => void calls.push('pause'), resume: async () => void calls.push('resume'), isPaused: () => false },
    rollups: {
      backfill: async () => void calls.push('backfill'),
      status: async () => (calls.push('rollups status'), { watermark: null }),
    },
    pipelineStatus: async () => (calls.push('pipeline status'), { kafka: {} }),
  };
  return { calls, deps };
}

describe('roles: the report reader reads, the operator operates', () => {
  it('refuses every /admin route to the report reader, before it does anything', async () => {
    const { calls, deps } = pipelineStubs();
    const app = await appWith(deps);
    for (const [method, url] of ADMIN_ROUTES) {
      const res = await ask(app, url, { method, token: await adminToken() });
      expect({ url, status: res.statusCode, body: res.json() }).toEqual({ url, status: 403, body: { message: ROLE_MESSAGES.operatorOnly, status_code: 403 } });
    }
    expect(calls).toEqual([]);
    for (const [method, url] of ADMIN_ROUTES) {
      const res = await ask(app, url, { method, token: await operatorToken() });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
    }
    expect(calls).toEqual(['pause', 'resume', 'backfill', 'rollups status', 'pipeline status']);
    // Both read the reports.
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: await adminToken() })).statusCode).toBe(200);
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: await operatorToken() })).statusCode).toBe(200);
  });

  it('lets nobody operate when no operator credential is configured', async () => {
    const { calls, deps } = pipelineStubs();
    const app = await appWith({ ...deps, operator: undefined });
    const reader = await ask(app, '/admin/ingest/pause', { method: 'POST', token: await adminToken() });
    expect(reader.statusCode).toBe(403);
    const would = await ask(app, '/admin/ingest/pause', { method: 'POST', token: await operatorToken() });
    expect(would.json()).toEqual({ message: INVALID_TOKEN, status_code: 403 });
    expect(calls).toEqual([]);
  });

  it('refuses a configuration that would merge the two roles', async () => {
    await expect(appWith({ operator: { clientId: OPERATOR.clientId, secret: ADMIN.secret } })).rejects.toThrow(/different secrets/);
    await expect(appWith({ operator: { clientId: ADMIN.clientId, secret: OPERATOR.secret } })).rejects.toThrow(/different client ids/);
  });
});

interface SessionBody {
  token: string;
  token_type: string;
  expires_in: number;
  client_id: string;
  role: string;
  can_operate: boolean;
}
const startSession = async (app: FastifyInstance, token: string): Promise<SessionBody> => {
  const res = await ask(app, '/auth/session', { method: 'POST', token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('sessions: a short-lived token instead of the secret', () => {
  it('exchanges a token the client signed for a session token with the same rights', async () => {
    const { deps } = pipelineStubs();
    const app = await appWith(deps);
    const reader = await startSession(app, await adminToken());
    expect(reader).toMatchObject({ token_type: 'Bearer', expires_in: SESSION_TTL_S, client_id: ADMIN.clientId, role: 'reader', can_operate: false });
    const claims = claimsOf(reader.token);
    expect(claims).toMatchObject({ iss: SESSION_ISSUER, sub: ADMIN.clientId });
    expect(JSON.stringify(claims)).not.toContain(ADMIN.secret);
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: reader.token })).statusCode).toBe(200);
    expect((await ask(app, `/v2/stats/messaging?service_id=${S}`, { token: reader.token })).statusCode).toBe(200);
    expect((await ask(app, '/admin/pipeline/status', { token: reader.token })).json()).toEqual({ message: ROLE_MESSAGES.operatorOnly, status_code: 403 });
    // A session does not start another one (it would outlive its sign-in).
    expect((await ask(app, '/auth/session', { method: 'POST', token: reader.token })).json()).toEqual({ message: ROLE_MESSAGES.sessionFromSession, status_code: 403 });

    const operator = await startSession(app, await operatorToken());
    expect(operator).toMatchObject({ client_id: OPERATOR.clientId, role: 'operator', can_operate: true });
    expect((await ask(app, '/admin/pipeline/status', { token: operator.token })).statusCode).toBe(200);
    // Only a client's own token starts a session: a wrong secret does not.
    expect((await ask(app, '/auth/session', { method: 'POST', token: await adminToken('not-the-secret-0123456789') })).statusCode).toBe(403);
  });

  it('cannot be forged with the client secret itself, nor moved to another client', async () => {
    const app = await appWith();
    const raw = await sign(SESSION_ISSUER, ADMIN.secret, { sub: ADMIN.clientId, sid: randomUUID(), auth_time: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 });
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: raw })).json()).toEqual({ message: INVALID_TOKEN, status_code: 403 });
    const reader = await startSession(app, await adminToken());
    const [header, , signature] = reader.token.split('.');
    const asOperator = Buffer.from(JSON.stringify({ ...claimsOf(reader.token), sub: OPERATOR.clientId })).toString('base64url');
    expect((await ask(app, '/admin/pipeline/status', { token: `${header}.${asOperator}.${signature}` })).json()).toEqual({ message: INVALID_TOKEN, status_code: 403 });
  });

  it('expires, renews up to its maximum age, and ends at sign-out', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const app = await appWith();
    const first = await startSession(app, await adminToken());
    vi.setSystemTime(NOW.getTime() + (SESSION_TTL_S - 60) * 1000);
    const renew = await ask(app, '/auth/session/renew', { method: 'POST', token: first.token });
    expect(renew.statusCode).toBe(200);
    const second = renew.json() as SessionBody;
    expect(claimsOf(second.token).sid).toBe(claimsOf(first.token).sid);
    vi.setSystemTime(NOW.getTime() + (SESSION_TTL_S + 1) * 1000);
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: first.token })).json()).toEqual({ message: SESSION_MESSAGES.expired, status_code: 403 });
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: second.token })).statusCode).toBe(200);
    // Renewed every 14 minutes, a session still ends SESSION_MAX_AGE_S after its sign-in.
    let token = second.token;
    let issuedAt = NOW.getTime() + (SESSION_TTL_S - 60) * 1000;
    let renewals = 0;
    for (;;) {
      issuedAt += 14 * 60_000;
      vi.setSystemTime(issuedAt);
      const res = await ask(app, '/auth/session/renew', { method: 'POST', token });
      if (res.statusCode !== 200) {
        expect(res.json()).toEqual({ message: SESSION_MESSAGES.expired, status_code: 403 });
        break;
      }
      token = (res.json() as SessionBody).token;
      expect(claimsOf(token).exp).toBeLessThanOrEqual(NOW.getTime() / 1000 + SESSION_MAX_AGE_S);
      renewals++;
    }
    expect(Date.now()).toBeGreaterThan(NOW.getTime() + SESSION_MAX_AGE_S * 1000 - 15 * 60_000);
    expect(renewals).toBeGreaterThan(40);

    // Sign-out ends the session: this token and every renewal of it.
    vi.setSystemTime(NOW);
    const signedIn = await startSession(app, await adminToken());
    const sibling = ((await ask(app, '/auth/session/renew', { method: 'POST', token: signedIn.token })).json() as SessionBody).token;
    expect((await ask(app, '/auth/session', { method: 'DELETE', token: signedIn.token })).statusCode).toBe(204);
    for (const tok of [signedIn.token, sibling]) {
      expect((await ask(app, `/platform-stats?${RANGE}`, { token: tok })).json()).toEqual({ message: SESSION_MESSAGES.ended, status_code: 403 });
    }
    // DELETE takes a session token only, and a new sign-in works.
    expect((await ask(app, '/auth/session', { method: 'DELETE', token: await adminToken() })).statusCode).toBe(403);
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: (await startSession(app, await adminToken())).token })).statusCode).toBe(200);
  });
});

const serviceToken = (secret = KEY.secret) => sign(S, secret);

describe('limits on every authenticated route', () => {
  it('counts a platform client on every route, whatever the token type', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const app = await appWith({ rateLimitPerMinute: 6 });
    const statuses: number[] = [];
    const session = await startSession(app, await adminToken()); // 1
    for (const [url, token] of [
      [`/platform-stats?${RANGE}`, await adminToken()], // 2
      [`/v2/stats/messaging?service_id=${S}`, await adminToken()], // 3: an admin token on a service route
      [`/v2/stats/spending?service_id=${S}`, session.token], // 4: the session is the same client
      [`/v1/statistics/cost-resume?interval=last_month&service_id=${S}`, await adminToken()], // 5
      [`/platform-stats?${RANGE}`, session.token], // 6
      [`/v2/stats/messaging?service_id=${S}`, await adminToken()], // 7: over
      [`/platform-stats?${RANGE}`, session.token], // 8: over
    ] as const) {
      statuses.push((await ask(app, url, { token })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const over = await ask(app, `/platform-stats?${RANGE}`, { token: await adminToken() });
    expect(over.json()).toEqual({ message: LIMIT_MESSAGES.requests(6, 60), status_code: 429 });
    expect(over.headers).toMatchObject({ 'retry-after': '60', 'x-ratelimit-limit': '6', 'x-ratelimit-remaining': '0' });
    // Other clients have budgets of their own.
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: await operatorToken() })).statusCode).toBe(200);
    expect((await ask(app, '/v2/stats/messaging', { token: await serviceToken() })).statusCode).toBe(200);
    vi.setSystemTime(NOW.getTime() + 60_000);
    expect((await ask(app, `/platform-stats?${RANGE}`, { token: session.token })).statusCode).toBe(200);
  });

  it('counts a service on every route, whatever its key or token type', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const app = await appWith({ rateLimitPerMinute: 3 });
    expect((await ask(app, '/v2/stats/messaging', { token: await serviceToken() })).statusCode).toBe(200);
    expect((await ask(app, '/v2/stats/spending', { token: await serviceToken(KEY2.secret) })).statusCode).toBe(200);
    expect((await ask(app, `/v1/statistics/cost-resume?interval=last_month&apiKey=${KEY2.id}:${KEY2.secret}`)).statusCode).toBe(200);
    const over = await ask(app, '/v2/stats/messaging', { token: await serviceToken() });
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBe('60');
  });

  it('refuses an address that failed too often before reading its credentials; others are unaffected', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const app = await appWith({ authFailuresPerMinute: 5 });
    const from = '10.0.0.1';
    const refusals = [
      await ask(app, `/platform-stats?${RANGE}`, { from }),
      await ask(app, `/platform-stats?${RANGE}`, { from, token: await adminToken('not-the-secret-0123456789') }),
      await ask(app, '/admin/ingest/pause', { method: 'POST', from, token: 'not.a.jwt' }),
      await ask(app, '/v2/stats/messaging', { from, token: await serviceToken('not-the-secret-0123456789abcdefgh') }),
      await ask(app, `/v1/statistics/cost-resume?interval=last_month&apiKey=${KEY.id}:wrong`, { from }),
    ];
    expect(refusals.map((r) => r.statusCode)).toEqual([401, 403, 403, 403, 403]);
    // Now even the right credential is refused from there, on every route, until the minute is over.
    for (const url of [`/platform-stats?${RANGE}`, '/auth/session']) {
      const locked = await ask(app, url, { method: url === '/auth/session' ? 'POST' : 'GET', from, token: await adminToken() });
      expect(locked.statusCode).toBe(429);
      expect(locked.json()).toEqual({ message: LIMIT_MESSAGES.failures(60), status_code: 429 });
    }
    const peer = await ask(app, `/v1/statistics/cost-resume?interval=last_month&apiKey=${KEY.id}:${KEY.secret}`, { from });
    expect(peer.json()).toEqual({ success: false, code: 429, message: LIMIT_MESSAGES.failures(60) });
    expect((await ask(app, `/platform-stats?${RANGE}`, { from: '10.0.0.2', token: await adminToken() })).statusCode).toBe(200);
    // Public routes are not limited.
    expect((await ask(app, '/healthz', { from })).statusCode).toBe(200);
    vi.setSystemTime(NOW.getTime() + 60_000);
    expect((await ask(app, `/platform-stats?${RANGE}`, { from, token: await adminToken() })).statusCode).toBe(200);
  });

  it('counts IPv6 addresses by their /64', async () => {
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:0:0:ffff:1:2:3')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    const app = await appWith({ authFailuresPerMinute: 1 });
    await ask(app, `/platform-stats?${RANGE}`, { from: '2001:db8::1' });
    expect((await ask(app, `/platform-stats?${RANGE}`, { from: '2001:db8::2', token: await adminToken() })).statusCode).toBe(429);
    expect((await ask(app, `/platform-stats?${RANGE}`, { from: '2001:db8:0:1::1', token: await adminToken() })).statusCode).toBe(200);
  });

  it('answers a flood of random issuers with one body and at most one key read, none once locked', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const app = await appWith({ authFailuresPerMinute: 30 });
    const queries = vi.spyOn(t.client, 'query');
    try {
      const bodies = new Set<string>();
      const statuses: number[] = [];
      // From one address: 30 refusals, then 429 before any lookup.
      for (let i = 0; i < 50; i++) {
        const res = await ask(app, '/v2/stats/messaging', { from: '10.0.1.1', token: await sign(randomUUID(), 'guess-0123456789abcdefghijklmnopqr') });
        statuses.push(res.statusCode);
        if (res.statusCode === 403) bodies.add(res.body);
      }
      expect(statuses.filter((s) => s === 403)).toHaveLength(30);
      expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
      // From 50 addresses with a random key id each: refused, answered from memory.
      for (let i = 0; i < 50; i++) {
        const res = await ask(app, `/v1/statistics/cost-resume?interval=last_month&apiKey=${randomUUID()}:guess`, { from: `10.0.2.${i}` });
        expect(res.statusCode).toBe(403);
      }
      // The same body as a service that exists with a wrong secret gets.
      bodies.add((await ask(app, '/v2/stats/messaging', { from: '10.0.3.1', token: await serviceToken('not-the-secret-0123456789abcdefgh') })).body);
      expect([...bodies]).toEqual([JSON.stringify({ message: INVALID_TOKEN, status_code: 403 })]);
      expect(queries.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      queries.mockRestore();
    }
  });

  it('locks a key id that was guessed at too often, from any address, for the rest of the minute', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const app = await appWith({ keyFailuresPerMinute: 10 });
    const costResume = (apiKey: string, from: string) => ask(app, `/v1/statistics/cost-resume?interval=last_month&apiKey=${apiKey}`, { from });
    for (let i = 0; i < 10; i++) expect((await costResume(`${KEY.id}:guess-${i}`, `10.0.4.${i}`)).statusCode).toBe(403);
    // The right secret, from an address that never failed: refused too (a guesser learns nothing).
    const locked = await costResume(`${KEY.id}:${KEY.secret}`, '10.0.5.1');
    expect(locked.json()).toEqual({ success: false, code: 429, message: LIMIT_MESSAGES.failures(60) });
    expect(locked.headers['retry-after']).toBe('60');
    // The service's other key, and the key's own bearer tokens (they name the service), still work.
    expect((await costResume(`${KEY2.id}:${KEY2.secret}`, '10.0.5.1')).statusCode).toBe(200);
    expect((await ask(app, '/v2/stats/messaging', { token: await serviceToken() })).statusCode).toBe(200);
    // Wrong bearer tokens count against the service they name.
    for (let i = 0; i < 10; i++) {
      expect((await ask(app, '/v2/stats/messaging', { from: `10.0.6.${i}`, token: await serviceToken(`guess-${i}-0123456789abcdefghijklmnop`) })).statusCode).toBe(403);
    }
    expect((await ask(app, '/v2/stats/messaging', { from: '10.0.5.2', token: await serviceToken() })).statusCode).toBe(429);
    vi.setSystemTime(NOW.getTime() + 60_000);
    expect((await costResume(`${KEY.id}:${KEY.secret}`, '10.0.5.1')).statusCode).toBe(200);
    expect((await ask(app, '/v2/stats/messaging', { from: '10.0.5.2', token: await serviceToken() })).statusCode).toBe(200);
  });
});

describe('operational endpoints: on a port of their own', () => {
  it('serves neither /metrics nor the OpenAPI document on the report port', async () => {
    const app = await appWith();
    for (const url of ['/metrics', '/docs', '/docs/json', '/docs/static/index.html']) {
      expect({ url, status: (await ask(app, url)).statusCode }).toEqual({ url, status: 404 });
    }
  });

  it('serves them, and nothing else, on the operations server', async () => {
    const app = await appWith();
    const ops = await buildOpsApp(app);
    apps.push(ops);
    const metrics = await ops.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('notify_stats_http_auth_refusals_total');
    const doc = (await ops.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/platform-stats', '/auth/session', '/admin/ingest/pause', '/v1/statistics/cost-resume']));
    expect((await ops.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
    expect((await ops.inject({ url: `/platform-stats?${RANGE}`, headers: { authorization: `Bearer ${await adminToken()}` } })).statusCode).toBe(404);
  });

  it('listens on loopback by default, apart from the API', async () => {
    const logger = createLogger('test', {});
    logger.level = 'error';
    const api = await startApi({ clickhouse: t.client, admin: ADMIN, operator: OPERATOR, readiness: {}, port: 0, metricsPort: 0, logger, factsVersion: null });
    try {
      expect(api.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(api.metricsUrl).not.toBe(api.url);
      expect((await fetch(`${api.metricsUrl}/metrics`)).status).toBe(200);
      expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
    } finally {
      await api.stop();
    }
  });
});
