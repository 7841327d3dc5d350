// `npm run bench`: runs the benchmarks one after the other (each in its own process: one embedded
// engine per process), then writes bench/results/summary.json from their result files.
//
//   npm run bench [-- --only ingest,rollup] [--quick] [--summary-only]
//
// --quick: smoke sizes; results go to <name>.quick.json and summary.quick.json, so a smoke run never
// overwrites the full figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RESULTS_DIR, ROOT, load, log, machine, writeResult } from './lib.ts';

const BENCHMARKS = {
  ingest: 'bench/ingest.ts',
  rollup: 'bench/rollup.ts',
  freshness: 'bench/freshness.ts',
  report: 'bench/report.ts',
} as const;
// In the issue, not written yet (see docs/benchmarks.md): reported as null in the summary.
const NOT_MEASURED: Record<string, string> = {
  postgres: 'report latency of the PostgreSQL fact-table design (issue item 3) not written yet: postgres_p99_ms and report_speedup_min are null',
};

const { values } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, 'summary-only': { type: 'boolean', default: false }, runs: { type: 'string' } },
});
const only = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHMARKS);
for (const name of only) {
  if (!(name in BENCHMARKS)) {
    process.stderr.write(`unknown benchmark "${name}" (have: ${Object.keys(BENCHMARKS).join(', ')}; not written: ${Object.keys(NOT_MEASURED).join(', ')})\n`);
    process.exit(2);
  }
}

const failures: string[] = [];
if (!values['summary-only']) {
  for (const name of only) {
    const file = BENCHMARKS[name as keyof typeof BENCHMARKS];
    const flags = [...(values.quick ? ['--quick'] : []), ...(values.runs ? ['--runs', values.runs] : [])];
    log(`== ${name} (${file} ${flags.join(' ')}), load ${load().join(' ')}`);
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, file), ...flags], { stdio: 'inherit', cwd: ROOT });
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
const notes: string[] = [...failures, ...Object.values(NOT_MEASURED)];
if (!ingest) notes.push('ingest: no bench/results/ingest.json');
else {
  if (ingest.input?.status_events < 2_000_000) notes.push(`ingest: backlog scaled down to ${ingest.input.status_events} status events (issue asks >= 2M) to fit the time box`);
  if (ingest.median?.kafka_engine_events_per_s == null) notes.push(`kafka engine: not measured (${(ingest.notes ?? []).join('; ')})`);
  notes.push('worker_rss_mb: peak RSS while draining the ingest backlog above, not the 10M backlog of issue item 5');
}
if (!rollup) notes.push('rollup: no bench/results/rollup.json');
notes.push(`rollup_day_20m_ms: not measured (time box); ${rollup ? `1M day costs ${rollup.ms_per_million_notifications} ms per million notifications, so ~${Math.round((rollup.ms_per_million_notifications * 20) / 1000)} s by linear extrapolation (not measured)` : ''}`);
notes.push('rollup full-year rebuild: not measured');
if (!freshness) notes.push('freshness: no bench/results/freshness.json');
else if (freshness.input?.achieved_rate < freshness.input?.rate * 0.9) {
  notes.push(`freshness: the generator reached ${freshness.input.achieved_rate} of the ${freshness.input.rate} events/s asked (machine saturated; load ${freshness.load_at_start?.join(' ')})`);
}

writeResult(values.quick ? 'summary.quick' : 'summary', {
  ingest_events_per_s: ingest?.median?.ingest_events_per_s ?? null,
  kafka_engine_events_per_s: ingest?.median?.kafka_engine_events_per_s ?? null,
  ingest_ratio: ingest?.median?.ingest_ratio ?? null,
  freshness_p95_ms: freshness?.freshness_ms?.p95 ?? null,
  report_p99_ms: report ? Object.fromEntries(Object.entries(report.latency_ms as Loose).map(([k, v]) => [k, (v as Loose).p99])) : null,
  postgres_p99_ms: null,
  report_speedup_min: null,
  rollup_day_1m_ms: rollup && rollup.input?.notifications >= 1_000_000 ? rollup.build_day_median_ms : null,
  rollup_day_20m_ms: null,
  worker_rss_mb: ingest?.median?.worker_peak_rss_mb ?? null,
  machine: machine(),
  date: new Date().toISOString(),
  quick: values.quick,
  sizes: { ingest_status_events: ingest?.input?.status_events ?? null, ingest_runs: ingest?.worker_runs?.length ?? 0, rollup_notifications: rollup?.input?.notifications ?? null, rollup_runs: rollup?.build_day_runs?.length ?? 0 },
  load_at_start: { ingest: ingest?.load_at_start ?? null, rollup: rollup?.load_at_start ?? null, freshness: freshness?.load_at_start ?? null },
  notes,
});
if (failures.length) process.exitCode = 1;
