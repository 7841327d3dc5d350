// What one uncached report costs, alone, on the benchmark's facts (bench/report-data.ts): each
// report through the API with the cache off (N requests, one at a time), and each SQL statement
// the report runs, alone. For iterating on services/api/src/queries; the figures of record are
// bench/report.ts's.
//
//   tsx bench/report-cost.ts [--services 2000] [--runs 5] [--keep /tmp/folder] [--only substring]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { buildApp } from '@notify-stats/api';
import { migrate, openClickhouse } from '@notify-stats/clickhouse';
import { benchArgs, load, log, median, round } from './lib.ts';
import { FY, fillClickhouse } from './report-data.ts';
import { POSTGRES_REPORTS } from './report-pg-queries.ts';

const args = benchArgs({ services: { type: 'string' }, keep: { type: 'string' }, only: { type: 'string' } });
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
const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ADMIN.clientId).setIssuedAt().sign(new TextEncoder().encode(ADMIN.secret));
try {
  for (const endpoint of Object.keys(POSTGRES_REPORTS).filter((e) => !args.only || e.includes(String(args.only)))) {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const res = await app.inject({ url: `${endpoint}?start_date=${FY.start}&end_date=${FY.end}`, headers: { authorization: `Bearer ${token}` } });
      ms.push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`${endpoint}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      bytes = res.rawPayload.length;
    }
    log(`${endpoint}: median ${round(median(ms) ?? NaN, 1)} ms, min ${round(Math.min(...ms), 1)} ms (${RUNS} runs, ${bytes} bytes)`);
  }
} finally {
  await app.close();
  await ch.close();
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
