// Report latency over a financial year of facts for 2,000 services: the fact tables are filled
// inside the engine (INSERT ... SELECT FROM numbers()), then each platform-stats report is asked
// for the whole year by `CONCURRENCY` clients at once through the HTTP app, and p50/p99 recorded.
// The PostgreSQL side of issue 6 item 3 is not written yet (docs/benchmarks.md).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { buildApp } from '@notify-stats/api';
import { migrate, openClickhouse } from '@notify-stats/clickhouse';
import { benchArgs, load, log, machine, percentile, round, writeResult } from './lib.ts';

const args = benchArgs({ services: { type: 'string' }, requests: { type: 'string' }, concurrency: { type: 'string' } });
const SERVICES = Number(args.services ?? (args.quick ? 200 : 2000));
const REQUESTS = Number(args.requests ?? (args.quick ? 20 : 200));
const CONCURRENCY = Number(args.concurrency ?? 50);
const FY = { start: '2023-04-01', end: '2024-03-31' };
const ADMIN = { clientId: 'notify-admin', secret: 'bench-secret-0123456789' };

const loadAtStart = load();
const ch = await openClickhouse({ path: mkdtempSync(path.join(tmpdir(), 'bench-report-')) });
await migrate(ch.client);
const started = Date.now();
// One row per service, day and type/status (status facts) or type/provider (billing facts).
await ch.client.command({
  query: `INSERT INTO fact_notification_status
    SELECT toDate('${FY.start}') + intDiv(number, {s: UInt32} * 9) AS day,
           reinterpretAsUUID(toFixedString(concat(reinterpretAsString(toUInt64(number % {s: UInt32} + 1)), reinterpretAsString(toUInt64(7))), 16)),
           toUUID('00000000-0000-0000-0000-000000000000'), toUUID('00000000-0000-0000-0000-000000000000'),
           ['email','sms','letter'][intDiv(number % ({s: UInt32} * 9), {s: UInt32}) % 3 + 1],
           'normal', ['delivered','permanent-failure','sending'][intDiv(number % ({s: UInt32} * 9), {s: UInt32} * 3) + 1],
           1 + number % 50
    FROM numbers({s: UInt32} * 9 * 366)`,
  query_params: { s: SERVICES },
  // A year is 366 daily partitions in one INSERT; the rollups write one day at a time.
  clickhouse_settings: { max_partitions_per_insert_block: '1000' },
});
await ch.client.command({
  query: `INSERT INTO fact_billing
    SELECT toDate('${FY.start}') + intDiv(number, {s: UInt32} * 3) AS day,
           reinterpretAsUUID(toFixedString(concat(reinterpretAsString(toUInt64(number % {s: UInt32} + 1)), reinterpretAsString(toUInt64(7))), 16)),
           toUUID('00000000-0000-0000-0000-000000000000'),
           ['email','sms','letter'][intDiv(number % ({s: UInt32} * 3), {s: UInt32}) + 1] AS type,
           multiIf(type = 'email', 'ses', type = 'letter', 'dvla', ['mmg','firetext'][number % 2 + 1]),
           1, false, multiIf(type = 'sms', toDecimal128('0.0197', 10), type = 'letter', toDecimal128('0.54', 10), toDecimal128(0, 10)),
           if(type = 'letter', 'second', ''), if(type = 'letter', 2, 0),
           1 + number % 40, if(type = 'email', 0, 2 * (1 + number % 40)), if(type = 'email', 0, 2 * (1 + number % 40))
    FROM numbers({s: UInt32} * 3 * 366)`,
  query_params: { s: SERVICES },
  clickhouse_settings: { max_partitions_per_insert_block: '1000' },
});
log(`facts loaded in ${Date.now() - started} ms`);

const app = await buildApp({ clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {}, rateLimitPerMinute: 0 });
const token = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ADMIN.clientId).setIssuedAt().sign(new TextEncoder().encode(ADMIN.secret));
const range = `start_date=${FY.start}&end_date=${FY.end}`;
const endpoints = [
  '/platform-stats',
  '/platform-stats/data-for-billing-report',
  '/platform-stats/data-for-dvla-billing-report',
  '/platform-stats/daily-volumes-report',
  '/platform-stats/daily-sms-provider-volumes-report',
  '/platform-stats/volumes-by-service',
];
const results: Record<string, { p50: number | null; p99: number | null; requests: number }> = {};
for (const endpoint of endpoints) {
  const latencies: number[] = [];
  let next = 0;
  const client = async () => {
    while (next < REQUESTS) {
      next++;
      const authorization = `Bearer ${await token()}`;
      const t = performance.now();
      const res = await app.inject({ url: `${endpoint}?${range}`, headers: { authorization } });
      latencies.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`${endpoint}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  latencies.sort((a, b) => a - b);
  results[endpoint] = { p50: round(percentile(latencies, 50) ?? NaN, 1), p99: round(percentile(latencies, 99) ?? NaN, 1), requests: latencies.length };
  log(`${endpoint}: p50 ${results[endpoint]!.p50} ms, p99 ${results[endpoint]!.p99} ms`);
}
writeResult(`report${args.quick ? '.quick' : ''}`, {
  machine: machine(),
  load_at_start: loadAtStart,
  input: { services: SERVICES, days: 366, requests_per_endpoint: REQUESTS, concurrency: CONCURRENCY, range: FY },
  latency_ms: results,
  note: 'in-process HTTP (fastify inject) against the embedded engine; the PostgreSQL comparison is not written yet',
});
await app.close();
await ch.close();
