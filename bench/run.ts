// `npm run bench`: runs the benchmarks one after the other (each in its own process: one embedded
// engine per process), then writes bench/results/summary.json from their result files.
//
//   npm run bench [-- --only ingest,rollup] [--quick] [--summary-only]
//
// The whole set takes about an hour on 2 cores; --quick about 10 minutes.
//
// --quick: smoke sizes; results go to <name>.quick.json and summary.quick.json, so a smoke run never
// overwrites the full figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RESULTS_DIR, ROOT, load, log, machine, writeResult } from './lib.ts';

const BENCHMARKS: Record<string, { file: string; args?: string[]; quickArgs?: string[] }> = {
  'ingest-cpu': { file: 'bench/ingest-cpu.ts' },
  ingest: { file: 'bench/ingest.ts' },
  rollup: { file: 'bench/rollup.ts' },
  freshness: { file: 'bench/freshness.ts' },
  // The same load while a financial year of history is repaired (issue 16: freshness holds during a backfill).
  'freshness-backfill': { file: 'bench/freshness.ts', args: ['--backfill-year', '50000'], quickArgs: ['--backfill-year', '1000'] },
  report: { file: 'bench/report.ts' },
  codecs: { file: 'bench/codecs.ts' },
  memory: {
    file: 'bench/ingest.ts',
    args: ['--result', 'memory', '--no-engine', '--no-profile', '--runs', '1', '--events', '10000000'],
    quickArgs: ['--result', 'memory', '--no-engine', '--no-profile', '--runs', '1', '--events', '500000'],
  },
};

const { values } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, 'summary-only': { type: 'boolean', default: false }, runs: { type: 'string' } },
});
const only = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHMARKS);
for (const name of only) {
  if (!(name in BENCHMARKS)) {
    process.stderr.write(`unknown benchmark "${name}" (have: ${Object.keys(BENCHMARKS).join(', ')})\n`);
    process.exit(2);
  }
}

const failures: string[] = [];
if (!values['summary-only']) {
  for (const name of only) {
    const b = BENCHMARKS[name] as (typeof BENCHMARKS)[string];
    const flags = [...(values.quick ? ['--quick', ...(b.quickArgs ?? b.args ?? [])] : (b.args ?? [])), ...(values.runs ? ['--runs', values.runs] : [])];
    log(`== ${name} (${b.file} ${flags.join(' ')}), load ${load().join(' ')}`);
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, b.file), ...flags], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) failures.push(`${name} exited with ${r.status ?? r.signal}`);
  }
}

// The result files are other scripts' JSON, read loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const read = (name: string): Loose | null => {
  const f = path.join(RESULTS_DIR, `${name}${values.quick ? '.quick' : ''}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Loose) : null;
};
const ingest = read('ingest');
const rollup = read('rollup');
const freshness = read('freshness');
const report = read('report');
const memory = read('memory');
const codecs = read('codecs');
const notes: string[] = [...failures];
if (!ingest) notes.push('ingest: no bench/results/ingest.json');
else {
  if (ingest.input?.status_events < 2_000_000) notes.push(`ingest: backlog of ${ingest.input.status_events} status events (issue asks >= 2M)`);
  if (ingest.median?.kafka_engine_events_per_s == null) notes.push(`kafka engine: not measured (${(ingest.notes ?? []).join('; ')})`);
}
if (!memory) notes.push('worker_rss_mb: no bench/results/memory.json; taken from the ingest runs');
else if (memory.input?.messages_produced < 10_000_000) notes.push(`worker_rss_mb: backlog of ${memory.input?.messages_produced} messages (issue asks 10M)`);
const days = (rollup?.days ?? []) as Loose[];
const rollupDay = (notifications: number) => days.find((d) => d.input?.notifications === notifications);
const freshnessBackfill = read('freshness-backfill');
if (!rollup) notes.push('rollup: no bench/results/rollup.json');
if (!freshness) notes.push('freshness: no bench/results/freshness.json');
else if (freshness.input?.achieved_rate < freshness.input?.rate * 0.9) {
  notes.push(`freshness: the generator reached ${freshness.input.achieved_rate} of the ${freshness.input.rate} events/s asked (load ${freshness.load_at_start?.join(' ')})`);
}
if (!report) notes.push('report: no bench/results/report.json');
else if (Math.max(...((report.load_at_start ?? []) as number[]), ...((report.load_at_end ?? []) as number[])) > machine().nproc * 2) {
  notes.push(`report: measured on a busy machine (load ${report.load_at_start?.join(' ')} at start, ${report.load_at_end?.join(' ') ?? '?'} at end, ${machine().nproc} cores): latencies are inflated`);
}
if (!codecs) notes.push('codecs: no bench/results/codecs.json');
else for (const n of (codecs.notes ?? []) as string[]) notes.push(`codecs: ${n}`);

const byEndpoint = (pick: (v: Loose) => unknown) => (report ? Object.fromEntries(Object.entries(report.latency_ms as Loose).map(([k, v]) => [k, pick(v as Loose)])) : null);
const concurrency = report?.input?.concurrency ?? 50;
// The lowest speed-up over the six reports, per pairing (bench/report.ts: cached, cached_gzip, uncached_1, uncached_<c>).
const speedupMin = () => {
  if (!report) return null;
  const pairs = Object.values(report.latency_ms as Loose).map((v) => (v as Loose).speedup_p99 as Record<string, number | null>);
  return Object.fromEntries(Object.keys(pairs[0] ?? {}).map((pair) => [pair, minOf(pairs.map((p) => p[pair] ?? null))]));
};
const minOf = (xs: Array<number | null>) => (xs.length && xs.every((x) => typeof x === 'number') ? Math.min(...(xs as number[])) : null);

writeResult(values.quick ? 'summary.quick' : 'summary', {
  ingest_events_per_s: ingest?.median?.ingest_events_per_s ?? null,
  kafka_engine_events_per_s: ingest?.median?.kafka_engine_events_per_s ?? null,
  ingest_ratio: ingest?.median?.ingest_ratio ?? null,
  freshness_p95_ms: freshness?.freshness_ms?.p95 ?? null,
  // As deployed: reports cached per facts version, 50 clients, without and with Accept-Encoding: gzip (bench/report.ts).
  report_p99_ms: byEndpoint((v) => v.ours_cached?.p99 ?? null),
  report_gzip_p99_ms: byEndpoint((v) => v.ours_cached_gzip?.p99 ?? null),
  // Cache off: one client (what computing a report costs), and one wave of 50 at once.
  report_uncached_p99_ms: byEndpoint((v) => v.ours_uncached_1?.p99 ?? null),
  report_uncached_50_p99_ms: byEndpoint((v) => v[`ours_uncached_${concurrency}`]?.p99 ?? null),
  // PostgreSQL with its best indexes: uncached at 1 and 50 clients, and behind the same cache.
  postgres_uncached_p99_ms: byEndpoint((v) => v.postgres_uncached_1?.p99 ?? null),
  postgres_p99_ms: byEndpoint((v) => v[`postgres_uncached_${concurrency}`]?.p99 ?? null),
  postgres_cached_p99_ms: byEndpoint((v) => v.postgres_cached?.p99 ?? null),
  postgres_cached_gzip_p99_ms: byEndpoint((v) => v.postgres_cached_gzip?.p99 ?? null),
  // PostgreSQL p99 / ours, per report and pairing; and the lowest per pairing.
  report_speedup_p99: byEndpoint((v) => v.speedup_p99 ?? null),
  report_speedup_min: speedupMin(),
  // Incremental rollups (bench/rollup.ts): one late change, a late SMS rate, a full repair.
  rollup_late_change_1m_ms: rollup?.rollup_late_change_1m_ms ?? null,
  rollup_late_change_20m_ms: rollup?.rollup_late_change_20m_ms ?? null,
  rollup_reprice_20m_ms: rollup?.rollup_reprice_20m_ms ?? null,
  rollup_rebuild_1m_ms: rollup?.rollup_rebuild_1m_ms ?? null,
  // "rebuild" is the repair the safety cron and `rollup --from --to` run: each day set to what is
  // counted. The first count of days from the raw layer (`--from-raw`, after migration 0005) is slower.
  rollup_rebuild_20m_ms: rollup?.rollup_rebuild_20m_ms ?? null,
  rollup_rebuild_20m_from_raw_ms: rollupDay(20_000_000)?.repair_first_ms ?? null,
  rollup_year_repair_ms: rollup?.year?.repair_counted_ms ?? null,
  rollup_year_repair_from_raw_ms: rollup?.year?.repair_first_ms ?? null,
  // The freshness benchmark again while a financial year is repaired (bench/freshness.ts --backfill-year).
  freshness_p95_while_backfilling_ms: freshnessBackfill?.freshness_ms?.p95 ?? null,
  worker_rss_mb: memory?.median?.worker_peak_rss_mb ?? ingest?.median?.worker_peak_rss_mb ?? null,
  ingest_cpu_us_per_event: read('ingest-cpu')?.median?.us_per_event ?? null,
  // The worker draining the same backlog stored uncompressed, lz4 and zstd (bench/codecs.ts).
  ingest_events_per_s_by_codec: codecs ? Object.fromEntries(Object.entries(codecs.variants as Loose).map(([k, v]) => [k, (v as Loose).median?.status_events_per_s ?? null])) : null,
  machine: machine(),
  date: new Date().toISOString(),
  quick: values.quick,
  sizes: {
    ingest_status_events: ingest?.input?.status_events ?? null,
    ingest_runs: ingest?.worker_runs?.length ?? 0,
    memory_backlog_messages: memory?.input?.messages_produced ?? null,
    rollup_days: days.map((d) => ({ notifications: d.input?.notifications, runs: d.late_change_runs?.length })),
    rollup_year: rollup?.year ? { notifications: rollup.year.notifications, days: rollup.year.range?.days } : null,
    freshness_seconds: freshness?.input?.seconds ?? null,
    report_services: report?.input?.services ?? null,
    report_runs: report?.input?.runs ?? null,
    codecs_messages_per_variant: codecs?.input?.messages_per_variant ?? null,
  },
  load_at_start: {
    ingest: ingest?.load_at_start ?? null,
    rollup: rollup?.load_at_start ?? null,
    freshness: freshness?.load_at_start ?? null,
    report: report?.load_at_start ?? null,
    memory: memory?.load_at_start ?? null,
    codecs: codecs?.load_at_start ?? null,
  },
  notes,
});
if (failures.length) process.exitCode = 1;
