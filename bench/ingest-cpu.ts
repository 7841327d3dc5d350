// The ingest worker's per-event CPU on the main thread, without a broker or an engine: the
// load generator's status messages go through processBatch and are encoded as the INSERT body,
// chunk by chunk, as the worker does (the client's encoding of the INSERT body included). Reports µs per event and GC share (median of runs).
//
//   tsx bench/ingest-cpu.ts [--quick] [--events N] [--runs 5]
import { PerformanceObserver } from 'node:perf_hooks';
import { TOPICS } from '@notify-stats/events';
import { generate } from '@notify-stats/loadgen';
import { RAW_TABLES, insertTuples } from '@notify-stats/clickhouse';
import { processBatch, type IncomingMessage } from '@notify-stats/ingest';
import { benchArgs, load, log, machine, median, round, writeResult } from './lib.ts';

const args = benchArgs({ events: { type: 'string' } });
const N = Number(args.events ?? (args.quick ? 50_000 : 300_000));
const RUNS = Number(args.runs ?? (args.quick ? 2 : 5));
const CHUNK = 10_000;

const gen = generate({ count: N, services: 200, days: 30, seed: 6 });
const messages: IncomingMessage[] = [];
let offset = 0;
for (const m of gen.messages()) {
  if (m.topic !== TOPICS.notificationStatus) continue;
  messages.push({ key: m.key, value: m.value, offset: String(offset++) });
}
log(`ingest-cpu: ${messages.length.toLocaleString()} status messages, ${RUNS} run(s)`);

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const runs: { us_per_event: number; gc_share: number; body_bytes: number }[] = [];
for (let r = 0; r < RUNS; r++) {
  gcMs = 0;
  let bytes = 0;
  const t = performance.now();
  for (let i = 0; i < messages.length; i += CHUNK) {
    const outcome = processBatch(TOPICS.notificationStatus, 0, messages.slice(i, i + CHUNK));
    // As @clickhouse/client encodes JSONCompactEachRow values: one JSON array per line.
    let body = '';
    for (const tuple of insertTuples(RAW_TABLES.notificationEvents, outcome.notificationEvents)) body += `${JSON.stringify(tuple)}\n`;
    bytes += body.length;
  }
  // Let the last GC entries arrive.
  await new Promise((res) => setImmediate(res));
  const ms = performance.now() - t;
  runs.push({ us_per_event: round((ms * 1000) / messages.length, 2), gc_share: round(gcMs / ms, 3), body_bytes: bytes });
  log(`run ${r + 1}: ${JSON.stringify(runs[r])}`);
}
writeResult(args.quick ? 'ingest-cpu.quick' : 'ingest-cpu', {
  date: new Date().toISOString(),
  machine: machine(),
  load_at_start: load(),
  input: { status_events: messages.length, chunk: CHUNK },
  runs,
  median: { us_per_event: median(runs.map((x) => x.us_per_event)), gc_share: median(runs.map((x) => x.gc_share)) },
});
