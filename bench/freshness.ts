// Freshness under load: the whole pipeline in this process, the load generator at a steady rate,
// and a reader polling a report's X-Data-As-Of. For instants t sampled during the load, the delay is
// the time at which X-Data-As-Of first passed t, minus t: how long an event produced at t waits
// before every report includes it. With --backfill-year N, a financial year of N notifications a
// day of history is in the raw layer, written without the change logs (history from before them),
// and its repair from the raw layer (`rollup --from --to --from-raw` over the year) runs while the
// load does: freshness while a year is backfilled.
import { queryRows } from '@notify-stats/clickhouse';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, committedOffsets, createKafka, endOffsets } from '@notify-stats/kafka';
import { produce } from '@notify-stats/loadgen';
import { createLogger, metricsRegistry } from '@notify-stats/runtime';
import { startTestBroker } from '../test/support/broker.ts';
import { startPipeline } from '../test/support/pipeline.ts';
import { insertNotifications, withoutChangeLog } from './history.ts';
import { benchArgs, cpuMeter, load, log, machine, percentile, round, sleep, writeResult } from './lib.ts';

const args = benchArgs({ rate: { type: 'string' }, seconds: { type: 'string' }, 'backfill-year': { type: 'string' } });
const RATE = Number(args.rate ?? 10_000);
// The issue asks for at least 5 minutes sustained.
const SECONDS = Number(args.seconds ?? (args.quick ? 10 : 300));
const YEAR_PER_DAY = Number(args['backfill-year'] ?? 0);
const YEAR = { start: '2023-04-01', end: '2024-03-31', days: 366 };

const loadAtStart = load();
const broker = await startTestBroker();
// As `npm start` runs it: the reader's polls are answered from the report cache (a report is
// computed once per publish, not once per poll), and the status is sampled every 5 s, not every
// 250 ms as the tests need it.
const p = await startPipeline(broker.brokers, { asStarted: true });
if (YEAR_PER_DAY > 0) {
  await withoutChangeLog(p.ch.client, () =>
    insertNotifications(
      p.ch.client,
      `toDate('${YEAR.start}') + intDiv(number, ${YEAR_PER_DAY})`,
      YEAR_PER_DAY * YEAR.days,
      `toDateTime64(toDate('${YEAR.start}') + intDiv(number, ${YEAR_PER_DAY}), 6, 'Europe/London')`,
      82_800_000,
    ),
  );
  log(`history: ${YEAR_PER_DAY * YEAR.days} notifications over ${YEAR.days} days`);
}
log(`freshness: ${RATE} events/s for ${SECONDS} s${YEAR_PER_DAY ? ', while the year is repaired' : ''}`);
const backfillStarted = performance.now();
const backfill = YEAR_PER_DAY > 0 ? p.rollups.backfill(YEAR.start, YEAR.end, undefined, { fromRaw: true }).then(() => Math.round(performance.now() - backfillStarted)) : Promise.resolve(null);
const samples: number[] = [];
const seen: Array<{ at: number; asOf: number }> = [];
let producing = true;
const reader = (async () => {
  while (producing || seen.length === 0 || seen.at(-1)!.asOf < samples.at(-1)!) {
    const asOf = Date.parse(String((await p.get('/platform-stats')).headers['x-data-as-of']));
    if (Number.isFinite(asOf)) seen.push({ at: Date.now(), asOf });
    await sleep(100);
  }
})();
// Where the delay goes, per sampled instant t: until the ingest's commit passed the topics' ends
// read at t (the ingest), until the rollups' watermark passed t (the cycles), and until a report's
// X-Data-As-Of did (the reader: the report cache's computation after each publish).
const probes: Array<{ at: number; ends: Map<string, number> }> = [];
const committedAt: number[] = [];
const watermarkAt: number[] = [];
const sampler = setInterval(() => {
  const t = Date.now();
  samples.push(t);
  void endOffsets(p.admin, SOURCE_TOPICS).then((ends) => {
    probes.push({ at: t, ends });
    probes.sort((a, b) => a.at - b.at);
  });
}, 250);
const watchers = (async () => {
  while (producing || watermarkAt.length < samples.length) {
    const [committed] = await Promise.all([committedOffsets(p.admin, INGEST_GROUP_ID, SOURCE_TOPICS), sleep(50)]);
    const now = Date.now();
    while (probes.length > 0 && [...probes[0]!.ends].every(([tp, end]) => (committed.get(tp) ?? 0) >= end)) committedAt.push(now - probes.shift()!.at);
    const mark = Date.parse(p.rollups.watermark() ?? '');
    while (watermarkAt.length < samples.length && mark >= samples[watermarkAt.length]!) watermarkAt.push(now - samples[watermarkAt.length]!);
  }
})();
const cpu = cpuMeter();
const logger = createLogger('bench');
logger.level = 'error';
const run = await produce(createKafka(broker.brokers, 'bench-freshness', logger), {
  rate: RATE,
  duration: SECONDS,
  days: 3,
  services: 200,
  seed: 11,
  lateFraction: 0.02,
  duplicateFraction: 0.01,
});
clearInterval(sampler);
const cpuDuringLoad = cpu.stop();
producing = false;
await reader;
await watchers;
const backfillMs = await backfill;
// The repair must have counted the history: every generated notification once in the status facts.
const counted = YEAR_PER_DAY > 0 ? await countedHistory() : null;
if (counted !== null && counted !== YEAR_PER_DAY * YEAR.days) throw new Error(`the repair counted ${counted} of the ${YEAR_PER_DAY * YEAR.days} notifications of the year`);
const delays = samples
  .map((t) => {
    const first = seen.find((s) => s.asOf >= t);
    return first ? first.at - t : NaN;
  })
  .filter(Number.isFinite);
const result = {
  machine: machine(),
  load_at_start: loadAtStart,
  input: { rate: RATE, seconds: SECONDS, produced: run.acknowledged, achieved_rate: round(run.messagesPerSecond) },
  backfill: YEAR_PER_DAY > 0 ? { range: YEAR, notifications_per_day: YEAR_PER_DAY, repair_ms: backfillMs, notifications_counted: counted, finished_before_load_ended: backfillMs !== null && backfillMs < SECONDS * 1000 } : null,
  samples: delays.length,
  // Of the machine's cores, how many were busy while the load ran, and how many this process
  // (generator, ingest, rollups, API, engine) used; the rest is mostly the broker.
  cpu_during_load: cpuDuringLoad,
  freshness_ms: spread(delays),
  // The same delay up to each stage: the ingest's commit, then the rollups' watermark.
  stages_ms: { ingest_committed: spread(committedAt), rollups_watermark: spread(watermarkAt) },
  rollup_steps_ms: await histogram('notify_stats_rollup_step_seconds', 'step', 1000),
  ingest_writes_ms: await histogram('notify_stats_ingest_write_seconds', undefined, 1000),
  ingest_batch_size: await histogram('notify_stats_ingest_batch_size'),
};
writeResult(`freshness${YEAR_PER_DAY ? '-backfill' : ''}${args.quick ? '.quick' : ''}`, result);
log(JSON.stringify(result.freshness_ms));
await p.stop();
await broker.stop();

function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null };
}

/**
 * A histogram of the run (metrics registry of this process) per label value: count, mean, total.
 * Where the rollups spent their time (notify_stats_rollup_step_seconds), and what the ingest's
 * writes that shared the engine with them were like.
 */
async function histogram(metric: string, label?: string, scale = 1): Promise<Record<string, { count: number; mean: number; total: number }>> {
  const values = (await metricsRegistry.getSingleMetric(metric)?.get())?.values ?? [];
  const out: Record<string, { count: number; mean: number; total: number }> = {};
  for (const v of values) {
    const key = label ? String(v.labels[label]) : 'all';
    const name = (v as { metricName?: string }).metricName ?? '';
    const entry = (out[key] ??= { count: 0, mean: 0, total: 0 });
    if (name.endsWith('_count')) entry.count = v.value;
    if (name.endsWith('_sum')) entry.total = round(v.value * scale, 1);
  }
  for (const e of Object.values(out)) e.mean = e.count ? round(e.total / e.count, 1) : 0;
  return Object.fromEntries(Object.entries(out).sort(([, a], [, b]) => b.total - a.total));
}

async function countedHistory(): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    p.ch.client,
    `SELECT sum(notification_count) AS n FROM fact_notification_status WHERE day BETWEEN {start: Date} AND {end: Date}`,
    { start: YEAR.start, end: YEAR.end },
  );
  return Number(row?.n ?? 0);
}
