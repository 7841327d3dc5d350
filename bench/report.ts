// Report latency, ours vs the reference platform's PostgreSQL fact tables (issues 6 and 19).
// The same facts (bench/report-data.ts: a financial year for S services) go into our tables and
// into PostgreSQL (with the reference's indexes plus the best ones for these reports,
// bench/report-pg-indexes.ts). Each of the six platform-stats reports is asked for the whole
// year, in four pairings:
//
// - uncached, 1 client: each side computes the report, one request at a time (N requests);
// - uncached, CONCURRENCY clients: one wave of CONCURRENCY requests at once, nothing shared
//   (our API with its cache off; PostgreSQL through as many pooled connections);
// - cached, CONCURRENCY clients for SECONDS, without and with `Accept-Encoding: gzip`: our API
//   as deployed, and the same report cache and reply code (services/api) in front of PostgreSQL.
//   The facts "publish" every PUBLISH seconds during the round, so each side recomputes while
//   serving the previous rendering (stale-while-revalidate), as after a real rollup.
//
// Load: bench/http-load.ts (undici, a child process) against HTTP on loopback; PostgreSQL's
// uncached load is `pg` from this process. Rounds alternate the systems per endpoint; medians over
// the rounds. A bare node:http server answering with the report's exact bytes, under the same
// load, gives each report's floor on this machine (static_cached, static_cached_gzip): what moving
// the body costs with nothing computed, looked up or authenticated.
//
//   tsx bench/report.ts [--quick] [--services 2000] [--seconds 10] [--runs 3] [--concurrency 50] [--publish 5]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import pg from 'pg';
import { buildApp, RenderedReport, ReportCache, sendRenderedReport } from '@notify-stats/api';
import { migrate, openClickhouse } from '@notify-stats/clickhouse';
import { benchArgs, latencySummary, load, log, machine, median, round, ROOT, writeResult } from './lib.ts';
import { startPostgres } from './postgres.ts';
import { FY, fillClickhouse, fillPostgres } from './report-data.ts';
import { addReportIndexes } from './report-pg-indexes.ts';
import { POSTGRES_REPORTS } from './report-pg-queries.ts';

const args = benchArgs({ services: { type: 'string' }, seconds: { type: 'string' }, concurrency: { type: 'string' }, publish: { type: 'string' } });
const SERVICES = Number(args.services ?? (args.quick ? 200 : 2000));
const SECONDS = Number(args.seconds ?? (args.quick ? 3 : 10));
const RUNS = Number(args.runs ?? (args.quick ? 1 : 3));
const CONCURRENCY = Number(args.concurrency ?? 50);
const PUBLISH_MS = Number(args.publish ?? 5) * 1000;
const ONE_CLIENT_REQUESTS = 5;
const ADMIN = { clientId: 'notify-admin', secret: 'bench-secret-0123456789' };
const ENDPOINTS = Object.keys(POSTGRES_REPORTS);
const RANGE = { start: FY.start, end: FY.end, fyStart: FY.start, fy: FY.year };
const QUERY = `?start_date=${FY.start}&end_date=${FY.end}`;
const run = promisify(execFile);

interface Latency {
  p50: number;
  p99: number;
  /** The first answer's latency (with one client, its first request). */
  first: number;
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
await addReportIndexes(pool);
const pgLoadMs = Date.now() - t;
log(`PostgreSQL facts and indexes loaded in ${pgLoadMs} ms`);

/** A new facts version every PUBLISH_MS, for both caches. */
const publishedVersion = async () => String(Math.floor(Date.now() / PUBLISH_MS));

// Our API as deployed (cache on, recomputing after each "publish") and with the cache off.
const deps = { clickhouse: ch.client, admin: ADMIN, dataAsOf: async () => null, readiness: {}, rateLimitPerMinute: 0 };
const cachedApp = await buildApp({ ...deps, factsVersion: publishedVersion });
const uncachedApp = await buildApp(deps);

/** The queries of one report, run together as the API runs its own; the rows of each. */
const postgresReport = (endpoint: string) =>
  Promise.all((POSTGRES_REPORTS[endpoint] as (typeof POSTGRES_REPORTS)[string])(RANGE).map(async ([sql, params]) => (await pool.query(sql, params)).rows));

// PostgreSQL behind the same cache and reply code as ours (no authentication: a little less
// work per request than our API does).
const pgCache = new ReportCache({ factsVersion: publishedVersion, dataAsOf: async () => null });
const pgApp = Fastify();
for (const endpoint of ENDPOINTS) {
  pgApp.get(endpoint, async (request, reply) => {
    const report = await pgCache.get([endpoint], async () => new RenderedReport(JSON.stringify(await postgresReport(endpoint)), 'application/json; charset=utf-8', null));
    return sendRenderedReport(request, reply, report);
  });
}
const bases = {
  ours: await cachedApp.listen({ host: '127.0.0.1', port: 0 }),
  ours_uncached: await uncachedApp.listen({ host: '127.0.0.1', port: 0 }),
  postgres_cached: await pgApp.listen({ host: '127.0.0.1', port: 0 }),
};
const token = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ADMIN.clientId).setIssuedAt().sign(new TextEncoder().encode(ADMIN.secret));

/** The load generator in its own process, so it does not share the servers' event loop. */
async function http(base: string, endpoint: string, load: string[], gzip = false): Promise<Latency> {
  const headers = ['-H', `authorization=Bearer ${await token()}`, ...(gzip ? ['-H', 'accept-encoding=gzip'] : [])];
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/http-load.ts'), ...load, ...headers, `${base}${endpoint}${QUERY}`], {
    maxBuffer: 16 << 20,
    timeout: 1_800_000,
  });
  const r = JSON.parse(stdout) as Latency & { first_error?: string };
  if (r.first_error) log(`${endpoint}: ${r.errors} errors, the first: ${r.first_error}`);
  return { p50: r.p50, p99: r.p99, first: r.first, requests: r.requests, errors: r.errors };
}
const forSeconds = ['--connections', String(CONCURRENCY), '--seconds', String(SECONDS)];
const oneWave = ['--connections', String(CONCURRENCY), '--amount', String(CONCURRENCY)];
const oneClient = ['--connections', '1', '--amount', String(ONE_CLIENT_REQUESTS)];

/** A bare node:http server answering every request with `body` (and its coding): the floor. */
async function staticServer(body: Buffer, coding?: string): Promise<{ base: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, ...(coding ? { 'content-encoding': coding } : {}) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The same load against a bare server holding the report's body as our API sends it. */
async function floor(endpoint: string, body: Buffer, coding?: string): Promise<Latency> {
  const { base, server } = await staticServer(body, coding);
  try {
    return await http(base, endpoint, forSeconds);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** `clients` at once, each asking the report's queries `each` times in a row. */
async function postgresUncached(endpoint: string, clients: number, each: number): Promise<Latency> {
  const latencies: number[] = [];
  let errors = 0;
  const client = async () => {
    for (let i = 0; i < each; i++) {
      const started = performance.now();
      try {
        await postgresReport(endpoint);
        latencies.push(performance.now() - started);
      } catch (err) {
        errors++;
        if (errors === 1) log(`${endpoint}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { ...latencySummary(latencies), requests: latencies.length, errors };
}

/** The bodies as sent, plain and gzip (one request each to the cached API): their sizes, and the floor's bytes. */
async function bodies(endpoint: string) {
  const headers = { authorization: `Bearer ${await token()}` };
  const body = async (h: Record<string, string>) => (await cachedApp.inject({ url: `${endpoint}${QUERY}`, headers: { ...headers, ...h } })).rawPayload;
  return { identity: await body({}), gzip: await body({ 'accept-encoding': 'gzip' }) };
}

const MEASURES = ['ours_cached', 'ours_cached_gzip', 'postgres_cached', 'postgres_cached_gzip', 'static_cached', 'static_cached_gzip', 'ours_uncached_1', 'postgres_uncached_1', `ours_uncached_${CONCURRENCY}`, `postgres_uncached_${CONCURRENCY}`] as const;
type Measure = string;
const rounds: Record<string, Record<Measure, Latency[]>> = Object.fromEntries(ENDPOINTS.map((e) => [e, Object.fromEntries(MEASURES.map((m) => [m, []]))]));
const sizes: Record<string, { identity: number; gzip: number }> = {};
const show = (l: Latency) => `p50 ${l.p50} p99 ${l.p99} first ${l.first} (${l.requests} req${l.errors ? `, ${l.errors} errors` : ''})`;
try {
  for (let i = 0; i < RUNS; i++) {
    for (const endpoint of ENDPOINTS) {
      // Each cache holds the report before its round (as after earlier reads); then it is
      // only ever recomputed in the background, after each publish.
      const sent = await bodies(endpoint);
      sizes[endpoint] = { identity: sent.identity.length, gzip: sent.gzip.length };
      await http(bases.postgres_cached, endpoint, ['--connections', '1', '--amount', '1']);
      const measured: Record<Measure, Latency> = {
        ours_cached: await http(bases.ours, endpoint, forSeconds),
        postgres_cached: await http(bases.postgres_cached, endpoint, forSeconds),
        ours_cached_gzip: await http(bases.ours, endpoint, forSeconds, true),
        postgres_cached_gzip: await http(bases.postgres_cached, endpoint, forSeconds, true),
        static_cached: await floor(endpoint, sent.identity),
        static_cached_gzip: await floor(endpoint, sent.gzip, 'gzip'),
        ours_uncached_1: await http(bases.ours_uncached, endpoint, oneClient),
        postgres_uncached_1: await postgresUncached(endpoint, 1, ONE_CLIENT_REQUESTS),
        [`ours_uncached_${CONCURRENCY}`]: await http(bases.ours_uncached, endpoint, oneWave),
        [`postgres_uncached_${CONCURRENCY}`]: await postgresUncached(endpoint, CONCURRENCY, 1),
      };
      for (const [m, l] of Object.entries(measured)) rounds[endpoint]![m]!.push(l);
      log(`round ${i + 1} ${endpoint} (load ${load().join(' ')}):\n${Object.entries(measured).map(([m, l]) => `  ${m}: ${show(l)}`).join('\n')}`);
    }
  }
} finally {
  await cachedApp.close();
  await uncachedApp.close();
  await pgApp.close();
  await ch.close();
  await pool.end();
  postgres.stop();
  rmSync(chDir, { recursive: true, force: true });
}

const med = (xs: Latency[], k: 'p50' | 'p99' | 'first') => median(xs.map((x) => x[k]));
const speedup = (ours: number | null, theirs: number | null) => (ours && theirs ? round(theirs / ours, 2) : null);
const PAIRS = {
  cached: ['ours_cached', 'postgres_cached'],
  cached_gzip: ['ours_cached_gzip', 'postgres_cached_gzip'],
  uncached_1: ['ours_uncached_1', 'postgres_uncached_1'],
  [`uncached_${CONCURRENCY}`]: [`ours_uncached_${CONCURRENCY}`, `postgres_uncached_${CONCURRENCY}`],
} as const;
const summary = Object.fromEntries(
  ENDPOINTS.map((e) => {
    const r = rounds[e]!;
    const figures = Object.fromEntries(MEASURES.map((m) => [m, { p50: med(r[m]!, 'p50'), p99: med(r[m]!, 'p99'), first: med(r[m]!, 'first') }]));
    const speedups = Object.fromEntries(Object.entries(PAIRS).map(([pair, [o, p]]) => [pair, speedup(figures[o]!.p99, figures[p]!.p99)]));
    return [e, { body_bytes: sizes[e], ...figures, speedup_p99: speedups }];
  }),
);
writeResult(args.quick ? 'report.quick' : 'report', {
  date: new Date().toISOString(),
  machine: machine(),
  load_at_start: loadAtStart,
  load_at_end: load(),
  postgres: postgres.version,
  input: {
    services: SERVICES,
    days: FY.days,
    range: { start: FY.start, end: FY.end },
    concurrency: CONCURRENCY,
    seconds_per_cached_round: SECONDS,
    publish_every_s: PUBLISH_MS / 1000,
    one_client_requests: ONE_CLIENT_REQUESTS,
    runs: RUNS,
    load_ms: { clickhouse: chLoadMs, postgres: pgLoadMs },
  },
  method:
    'Four pairings per report, whole financial year. uncached_1: one client, 5 requests in a row (our API with its cache off; the report\'s SQL through pg); first: the first of them, the first request after the 20 s of floors in which that side answered nothing. ' +
    `uncached_${CONCURRENCY}: one wave of ${CONCURRENCY} requests at once, nothing shared (our uncached API; ${CONCURRENCY} pooled pg connections). ` +
    'cached / cached_gzip: bench/http-load.ts (undici) with CONCURRENCY connections for SECONDS, without and with Accept-Encoding: gzip, against our API as deployed and against the same ReportCache + reply code in front of PostgreSQL; static_cached(_gzip): the same load against a bare node:http server answering with the report\'s exact bytes (the floor on this machine); ' +
    'the facts version moves every publish_every_s on both, so each recomputes in the background while serving the previous rendering. Medians over rounds; p99 speed-up = PostgreSQL p99 / ours.',
  latency_ms: summary,
  rounds,
});
