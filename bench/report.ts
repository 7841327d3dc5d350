// Report latency, ours vs the reference platform's PostgreSQL fact tables (issue 6 item 3).
// The same facts (bench/report-data.ts: a financial year for S services) go into our tables and
// into PostgreSQL; each of the six platform-stats reports is asked for the whole year by
// CONCURRENCY clients for a fixed time: autocannon (a child process) against our HTTP API,
// and the equivalent SQL (bench/report-pg-queries.ts) through `pg` with a pool of as many
// connections. Rounds alternate between the two; p50/p99 are medians over the rounds.
//
//   tsx bench/report.ts [--quick] [--services 2000] [--seconds 10] [--runs 3] [--concurrency 50]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import pg from 'pg';
import { buildApp } from '@notify-stats/api';
import { migrate, openClickhouse } from '@notify-stats/clickhouse';
import { benchArgs, load, log, machine, median, percentile, round, ROOT, writeResult } from './lib.ts';
import { startPostgres } from './postgres.ts';
import { FY, fillClickhouse, fillPostgres } from './report-data.ts';
import { POSTGRES_REPORTS } from './report-pg-queries.ts';

const args = benchArgs({ services: { type: 'string' }, seconds: { type: 'string' }, concurrency: { type: 'string' } });
const SERVICES = Number(args.services ?? (args.quick ? 200 : 2000));
const SECONDS = Number(args.seconds ?? (args.quick ? 3 : 10));
const RUNS = Number(args.runs ?? (args.quick ? 1 : 3));
const CONCURRENCY = Number(args.concurrency ?? 50);
const UNCACHED_REQUESTS = 5;
const ADMIN = { clientId: 'notify-admin', secret: 'bench-secret-0123456789' };
const ENDPOINTS = Object.keys(POSTGRES_REPORTS);
const RANGE = { start: FY.start, end: FY.end, fyStart: FY.start, fy: FY.year };
const run = promisify(execFile);

interface Latency {
  p50: number;
  p99: number;
  requests: number;
  errors: number;
}

const loadAtStart = load();
const chDir = mkdtempSync(path.join(tmpdir(), 'bench-report-'));
const ch = await openClickhouse({ path: chDir });
await migrate(ch.client);
let t = Date.now();
await fillClickhouse(ch.client, SERVICES);
const chLoadMs = Date.now() - t;
log(`ClickHouse facts for ${SERVICES} services loaded in ${chLoadMs} ms`);

const postgres = await startPostgres({ shared_buffers: '2GB', work_mem: '64MB', effective_cache_size: '8GB' });
const pool = new pg.Pool({ connectionString: postgres.url, max: CONCURRENCY });
t = Date.now();
await fillPostgres(pool, SERVICES);
const pgLoadMs = Date.now() - t;
log(`PostgreSQL facts loaded in ${pgLoadMs} ms`);

// Two apps on the one engine: as deployed (reports cached per facts version; nothing changes the
// facts here, so after its first request each round is served from the cache) and with the
// cache off, asked by one client at a time: what computing a report costs (the first request
// after a rollup). The embedded engine runs one query at a time, so N clients asking N different
// uncached reports wait about N times that.
const deps = { clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {}, rateLimitPerMinute: 0 };
const cachedApp = await buildApp({ ...deps, factsVersion: async () => 'fixed' });
const uncachedApp = await buildApp(deps);
const bases = { cached: await cachedApp.listen({ host: '127.0.0.1', port: 0 }), uncached: await uncachedApp.listen({ host: '127.0.0.1', port: 0 }) };
const token = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ADMIN.clientId).setIssuedAt().sign(new TextEncoder().encode(ADMIN.secret));

/** autocannon in its own process, so the load generator does not share the API's event loop. */
async function ours(endpoint: string, mode: keyof typeof bases): Promise<Latency> {
  const url = `${bases[mode]}${endpoint}?start_date=${FY.start}&end_date=${FY.end}`;
  const load = mode === 'cached' ? ['-c', String(CONCURRENCY), '-d', String(SECONDS)] : ['-c', '1', '-a', String(UNCACHED_REQUESTS)];
  const { stdout } = await run(
    path.join(ROOT, 'node_modules/.bin/autocannon'),
    [...load, '-j', '-t', '300', '-H', `authorization=Bearer ${await token()}`, url],
    { maxBuffer: 16 << 20, timeout: 900_000 },
  );
  const r = JSON.parse(stdout) as { latency: { p50: number; p99: number }; requests: { total: number }; non2xx: number; errors: number; timeouts: number };
  return { p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.non2xx + r.errors + r.timeouts };
}

/** CONCURRENCY clients, each asking the report's queries (together, as the API does) in a loop. */
async function postgresLatency(endpoint: string): Promise<Latency> {
  const queries = (POSTGRES_REPORTS[endpoint] as (typeof POSTGRES_REPORTS)[string])(RANGE);
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + SECONDS * 1000;
  const client = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await Promise.all(queries.map(([sql, params]) => pool.query(sql, params)));
        latencies.push(performance.now() - started);
      } catch (err) {
        errors++;
        if (errors === 1) log(`${endpoint}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  latencies.sort((a, b) => a - b);
  return { p50: round(percentile(latencies, 50) ?? NaN, 1), p99: round(percentile(latencies, 99) ?? NaN, 1), requests: latencies.length, errors };
}

const rounds: Record<string, { ours: Latency[]; ours_uncached: Latency[]; postgres: Latency[] }> = Object.fromEntries(
  ENDPOINTS.map((e) => [e, { ours: [], ours_uncached: [], postgres: [] }]),
);
const show = (l: Latency) => `p50 ${l.p50} p99 ${l.p99} (${l.requests} req${l.errors ? `, ${l.errors} errors` : ''})`;
try {
  for (let i = 0; i < RUNS; i++) {
    for (const endpoint of ENDPOINTS) {
      const o = await ours(endpoint, 'cached');
      const u = await ours(endpoint, 'uncached');
      const p = await postgresLatency(endpoint);
      rounds[endpoint]!.ours.push(o);
      rounds[endpoint]!.ours_uncached.push(u);
      rounds[endpoint]!.postgres.push(p);
      log(`round ${i + 1} ${endpoint}: ours ${show(o)} | uncached ${show(u)} | postgres ${show(p)}`);
    }
  }
} finally {
  await cachedApp.close();
  await uncachedApp.close();
  await ch.close();
  await pool.end();
  postgres.stop();
  rmSync(chDir, { recursive: true, force: true });
}

const med = (xs: Latency[], k: 'p50' | 'p99') => median(xs.map((x) => x[k]));
const summary = Object.fromEntries(
  ENDPOINTS.map((e) => {
    const r = rounds[e]!;
    const o99 = med(r.ours, 'p99');
    const u99 = med(r.ours_uncached, 'p99');
    const p99 = med(r.postgres, 'p99');
    return [
      e,
      {
        ours: { p50: med(r.ours, 'p50'), p99: o99 },
        ours_uncached: { p50: med(r.ours_uncached, 'p50'), p99: u99 },
        postgres: { p50: med(r.postgres, 'p50'), p99 },
        speedup_p99: o99 && p99 ? round(p99 / o99, 2) : null,
      },
    ];
  }),
);
writeResult(args.quick ? 'report.quick' : 'report', {
  date: new Date().toISOString(),
  machine: machine(),
  load_at_start: loadAtStart,
  postgres: postgres.version,
  input: { services: SERVICES, days: FY.days, range: { start: FY.start, end: FY.end }, concurrency: CONCURRENCY, seconds_per_round: SECONDS, runs: RUNS, load_ms: { clickhouse: chLoadMs, postgres: pgLoadMs } },
  method:
    'ours: autocannon (child process, -c CONCURRENCY) against the API listening on loopback, embedded engine in the API process; `ours` as deployed (report cache on), `ours_uncached` with the cache off, one client, 5 requests a round. PostgreSQL: the same reports as SQL through pg, CONCURRENCY pooled connections, the queries of one report run together. Rounds alternate ours/postgres per endpoint; medians over rounds.',
  latency_ms: summary,
  rounds,
});
