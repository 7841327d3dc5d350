import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { markFilled, migrate, openClickhouse, type ClickHouseClient } from '@notify-stats/clickhouse';
import { buildApp, type AppDeps } from '../src/app.ts';

export const ADMIN = { clientId: 'notify-admin', secret: 'test-secret-0123456789' };
export const OPERATOR = { clientId: 'notify-operator', secret: 'test-operator-secret-0123456789' };
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const REPORTS = [
  '/platform-stats/data-for-billing-report',
  '/platform-stats/data-for-dvla-billing-report',
  '/platform-stats/daily-volumes-report',
  '/platform-stats/daily-sms-provider-volumes-report',
  '/platform-stats/volumes-by-service',
  '/platform-stats/delivery-latency-report',
] as const;

export interface TestApp {
  app: FastifyInstance;
  client: ClickHouseClient;
  close(): Promise<void>;
}

/** A fresh embedded engine in its own folder (one per test file: the engine is one per process). */
export async function openTestApp(overrides: Partial<AppDeps> = {}): Promise<TestApp> {
  const folder = mkdtempSync(path.join(tmpdir(), 'api-test-'));
  const ch = await openClickhouse({ path: folder });
  await migrate(ch.client);
  // As the rollups leave it at their first start on a pipeline with no history to count again;
  // delivery-latency.test.ts asks for the report before that.
  await markFilled(ch.client, 'deliveryLatency');
  const app = await buildApp({
    clickhouse: ch.client,
    admin: ADMIN,
    operator: OPERATOR,
    dataAsOf: async () => '2024-01-01T00:00:00.000Z',
    readiness: {},
    // The limits on refused credentials have their own suite (access-limits.test.ts), on a clock of
    // its own; here they would make a suite's outcome depend on how many refusals came before.
    authFailuresPerMinute: 0,
    keyFailuresPerMinute: 0,
    ...overrides,
  });
  return {
    app,
    client: ch.client,
    async close() {
      await app.close();
      await ch.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export function adminToken(secret = ADMIN.secret, clientId = ADMIN.clientId): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(clientId)
    .setIssuedAt()
    .sign(new TextEncoder().encode(secret));
}

/** A token of the operator client (OPERATOR_CLIENT_*), the one allowed on /admin/*. */
export const operatorToken = (secret = OPERATOR.secret): Promise<string> => adminToken(secret, OPERATOR.clientId);

/** GET as the admin client; `headers` may add Accept and so on. */
export async function get(app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await adminToken()}`, ...headers } });
}

export async function insert(client: ClickHouseClient, table: string, values: object[]): Promise<void> {
  await client.insert({ table, values, format: 'JSONEachRow' });
}

let version = 0;
const ref = (key: string) => ({ key, version: ++version, is_deleted: 0 });

export function organisation(o: { id: string; name: string; po?: string | null; names?: string | null; emails?: string | null; reference?: string | null }) {
  return {
    ...ref(`organisation:${o.id}`),
    id: o.id,
    name: o.name,
    purchase_order_number: o.po ?? null,
    billing_contact_names: o.names ?? null,
    billing_contact_email_addresses: o.emails ?? null,
    billing_reference: o.reference ?? null,
  };
}

export function service(s: {
  id: string;
  name: string;
  organisation_id?: string | null;
  restricted?: boolean;
  active?: boolean;
  count_as_live?: boolean;
  po?: string | null;
  names?: string | null;
  emails?: string | null;
  reference?: string | null;
}) {
  return {
    ...ref(`service:${s.id}`),
    id: s.id,
    name: s.name,
    organisation_id: s.organisation_id ?? null,
    restricted: s.restricted ?? false,
    active: s.active ?? true,
    count_as_live: s.count_as_live ?? true,
    purchase_order_number: s.po ?? null,
    billing_contact_names: s.names ?? null,
    billing_contact_email_addresses: s.emails ?? null,
    billing_reference: s.reference ?? null,
  };
}

export function annualBilling(serviceId: string, fy: number, limit: number) {
  return { ...ref(`annual_billing:${serviceId}:${fy}`), service_id: serviceId, financial_year_start: fy, free_sms_fragment_limit: limit };
}

export function smsFact(f: { day: string; service_id: string; units: number; rate: string; sent?: number; multiplier?: number; provider?: string }) {
  const multiplier = f.multiplier ?? 1;
  return {
    day: f.day,
    service_id: f.service_id,
    template_id: ZERO_UUID,
    notification_type: 'sms',
    provider: f.provider ?? 'mmg',
    rate_multiplier: multiplier,
    international: false,
    rate: f.rate,
    postage: '',
    sheets: 0,
    notifications_sent: f.sent ?? f.units,
    billable_units: f.units,
    chargeable_units: f.units * multiplier,
  };
}

export function letterFact(f: { day: string; service_id: string; postage: string; rate: string; letters: number; sheets?: number }) {
  const sheets = f.sheets ?? 1;
  return {
    day: f.day,
    service_id: f.service_id,
    template_id: ZERO_UUID,
    notification_type: 'letter',
    provider: 'dvla',
    rate_multiplier: 1,
    international: f.postage === 'europe' || f.postage === 'rest-of-world',
    rate: f.rate,
    postage: f.postage,
    sheets,
    notifications_sent: f.letters,
    billable_units: f.letters * sheets,
    chargeable_units: f.letters * sheets,
  };
}

export function emailFact(f: { day: string; service_id: string; sent: number }) {
  return {
    day: f.day,
    service_id: f.service_id,
    template_id: ZERO_UUID,
    notification_type: 'email',
    provider: 'ses',
    rate_multiplier: 1,
    international: false,
    rate: '0',
    postage: '',
    sheets: 0,
    notifications_sent: f.sent,
    billable_units: 0,
    chargeable_units: 0,
  };
}
