// What one uncached report costs, alone, on the benchmark's facts (bench/report-data.ts): each
// report through the API with the cache off (N requests, one at a time), and each SQL statement
// the report runs, alone. For iterating on services/api/src/queries; the figures of record are
// bench/report.ts's. With --preaggregates it also times whole-year queries on the daily facts
// and on their monthly sums (docs/benchmarks.md section 3).
//
//   tsx bench/report-cost.ts [--services 2000] [--runs 5] [--keep /tmp/folder] [--only substring] [--preaggregates]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { buildApp } from '@notify-stats/api';
import { migrate, openClickhouse } from '@notify-stats/clickhouse';
import { benchArgs, load, log, median, round } from './lib.ts';
import { FY, fillClickhouse } from './report-data.ts';
import { POSTGRES_REPORTS } from './report-pg-queries.ts';

const args = benchArgs({ services: { type: 'string' }, keep: { type: 'string' }, only: { type: 'string' }, preaggregates: { type: 'boolean' } });
const SERVICES = Number(args.services ?? 2000);
const RUNS = Number(args.runs ?? 5);
const ADMIN = { clientId: 'notify-admin', secret: 'bench-secret-0123456789' };

const dir = typeof args.keep === 'string' ? args.keep : mkdtempSync(path.join(tmpdir(), 'bench-report-cost-'));
// A kept folder is filled once (a marker file beside it says so).
const marker = `${dir}.filled`;
const fresh = !existsSync(marker);
const ch = await openClickhouse({ path: dir });
if (fresh) {
  await migrate(ch.client);
  await fillClickhouse(ch.client, SERVICES);
  if (args.keep) writeFileSync(marker, String(SERVICES));
}
log(`load ${load().join(' ')}`);
const app = await buildApp({ clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {}, rateLimitPerMinute: 0 });
// A token per request: iat must be within 30 s, and a slow report outlasts that.
const token = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ADMIN.clientId).setIssuedAt().sign(new TextEncoder().encode(ADMIN.secret));
try {
  for (const endpoint of Object.keys(POSTGRES_REPORTS).filter((e) => !args.only || e.includes(String(args.only)))) {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const res = await app.inject({ url: `${endpoint}?start_date=${FY.start}&end_date=${FY.end}`, headers: { authorization: `Bearer ${await token()}` } });
      ms.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`${endpoint}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      bytes = res.rawPayload.length;
    }
    log(`${endpoint}: median ${round(median(ms) ?? NaN, 1)} ms, min ${round(Math.min(...ms), 1)} ms (${RUNS} runs, ${bytes} bytes)`);
  }
  if (args.preaggregates) await preaggregates();
} finally {
  await app.close();
  await ch.close();
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}

/**
 * Whole-year queries on the daily facts and on their monthly sums (migration 0006, which the
 * views filled while the facts were loaded), each merged first so both read their final parts.
 */
async function preaggregates() {
  for (const t of ['fact_notification_status', 'fact_billing', 'fact_notification_status_month', 'fact_billing_month']) {
    await ch.client.command({ query: `OPTIMIZE TABLE ${t} FINAL` });
  }
  const queries: Record<string, (table: string, day: string) => string> = {
    'status totals': (table, day) =>
      `SELECT notification_type, status, sum(notification_count) AS total FROM ${table} WHERE ${day} BETWEEN {start: Date} AND {end: Date} AND key_type != 'test' GROUP BY notification_type, status HAVING total != 0`,
    'volumes by service': (table, day) =>
      `SELECT toString(service_id) AS service_id, sumIf(notifications_sent, notification_type = 'sms') AS sms, sumIf(chargeable_units, notification_type = 'sms') AS units,
              sumIf(notifications_sent, notification_type = 'email') AS email, sumIf(notifications_sent * rate, notification_type = 'letter') AS letter_cost
       FROM ${table} WHERE ${day} BETWEEN {start: Date} AND {end: Date} GROUP BY service_id HAVING sms != 0 OR units != 0 OR email != 0 OR letter_cost != 0`,
    'letter lines': (table, day) =>
      `SELECT toString(service_id) AS service_id, postage, rate, sum(notifications_sent) AS letters, sum(notifications_sent * rate) AS cost FROM ${table}
       WHERE notification_type = 'letter' AND ${day} BETWEEN {start: Date} AND {end: Date} GROUP BY service_id, postage, rate HAVING letters != 0 OR cost != 0`,
  };
  const time = async (sql: string) => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await (await ch.client.query({ query: sql, query_params: { start: FY.start, end: FY.end }, format: 'JSONEachRow' })).json();
      ms.push(performance.now() - t);
    }
    return `median ${round(median(ms) ?? NaN, 1)} ms, min ${round(Math.min(...ms), 1)} ms`;
  };
  for (const [name, sql] of Object.entries(queries)) {
    const status = name === 'status totals';
    const daily = await time(sql(status ? 'fact_notification_status' : 'fact_billing', 'day'));
    const monthly = await time(sql(status ? 'fact_notification_status_month' : 'fact_billing_month', 'month'));
    log(`${name}: daily facts ${daily} | monthly ${monthly} (load ${load().join(' ')})`);
  }
}
