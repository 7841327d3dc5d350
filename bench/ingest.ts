// Ingest throughput: our worker (`notify-stats ingest`, a child process, embedded engine) vs the
// ClickHouse Kafka table engine + materialized view inside the embedded engine, same backlog,
// same broker, one after the other in the same run (alternating, so load drifts hit both).
//
//   tsx bench/ingest.ts [--quick] [--events N] [--runs 3] [--no-profile] [--engine-consumers 1] [--no-engine] [--result ingest] [--kafka-nodes 1]
//
// `--kafka-nodes 3` runs the same measurement on a local three-node KRaft cluster (each node a
// broker and a controller, 256 MB heap each) with the topics replicated 3 times, min.insync 2,
// and the load generator's acks=all: the cost of replication on one machine.
//
// `--events 10000000 --runs 1 --no-engine --no-profile --result memory` is the memory benchmark:
// the worker's RSS while it drains a 10M-message backlog.
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { SOURCE_TOPICS, TOPICS } from '@notify-stats/events';
import { createKafka, ensureTopics } from '@notify-stats/kafka';
import { produce } from '@notify-stats/loadgen';
import { startLocalKafka, startLocalKafkaCluster } from '@notify-stats/local-kafka';
import { createLogger } from '@notify-stats/runtime';
import { summarise } from './cpuprofile-summary.ts';
import { chdbTask, drainWithWorker } from './drain.ts';
import { RESULTS_DIR, ROOT, benchArgs, load, log, machine, median, round, writeResult } from './lib.ts';
import { tempDir } from '../test/support/broker.ts';

const args = benchArgs({
  events: { type: 'string' },
  'no-profile': { type: 'boolean', default: false },
  'no-engine': { type: 'boolean', default: false },
  'engine-consumers': { type: 'string', default: '1' },
  result: { type: 'string', default: 'ingest' },
  'kafka-nodes': { type: 'string', default: '1' },
});
const KAFKA_NODES = Number(args['kafka-nodes']);
const N = Number(args.events ?? (args.quick ? 100_000 : 2_000_000));
const RUNS = Number(args.runs ?? (args.quick ? 1 : 3));
const ENGINE_CONSUMERS = Number(args['engine-consumers']);
const loadAtStart = load();
const logger = createLogger('bench', {});
logger.level = 'error';
log(`ingest benchmark: ${N.toLocaleString()} messages, ${RUNS} run(s), ${KAFKA_NODES} Kafka node(s), load ${loadAtStart.join(' ')}`);
const kafkaDir = tempDir('bench-kafka');
// A JVM start takes minutes when other engineers' tests load the shared machine.
const startTimeoutMs = 240_000;
const local = KAFKA_NODES > 1
  ? await startLocalKafkaCluster({ dataDir: kafkaDir, nodes: KAFKA_NODES, startTimeoutMs })
  : await startLocalKafka({ dataDir: kafkaDir, port: 0, startTimeoutMs });
const brokers = local.brokers.join(',');
const kafka = createKafka(local.brokers, 'notify-stats-bench', logger);
const admin = kafka.admin();
await admin.connect();
const notes: string[] = [];
try {
  await ensureTopics(admin, 6);
  const t0 = performance.now();
  const produced = await produce(kafka, { count: N, services: 200, days: 30, seed: 6 });
  const produceMs = performance.now() - t0;
  const offsets = await admin.fetchTopicOffsets(TOPICS.notificationStatus);
  const statusMessages = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  let allMessages = 0;
  for (const t of SOURCE_TOPICS) allMessages += (await admin.fetchTopicOffsets(t)).reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  log(`produced ${produced.acknowledged.toLocaleString()} messages in ${Math.round(produceMs)} ms (${statusMessages.toLocaleString()} status events)`);

  const worker = async (profileDir?: string) => {
    // Node 20 refuses --cpu-prof in NODE_OPTIONS ("not allowed"), so it goes on the command line.
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const d = await drainWithWorker({ brokers: local.brokers, admin, label: 'ingest', timeoutMs: Math.max(300_000, N * 2), nodeArgs });
    if (d.exit !== 0) notes.push(`worker exit ${d.exit}: ${d.stderr.slice(-500)}`);
    const ms = d.ms;
    const r = {
      ms: Math.round(ms),
      events_per_s: Math.round(allMessages / (ms / 1000)),
      status_events_per_s: Math.round(statusMessages / (ms / 1000)),
      rows: d.rows,
      unique_events: d.uniqueEvents,
      peak_rss_mb: d.peakRssMb,
      median_rss_mb: d.medianRssMb,
      load_at_start: d.loadAtStart,
      exit: d.exit,
    };
    log(`worker: ${JSON.stringify(r)}`);
    return r;
  };

  const engine = async (i: number) => {
    const la = load();
    const chPath = tempDir('bench-engine');
    const res = await chdbTask('engine', chPath, brokers, `bench-engine-${Date.now()}-${i}`, String(statusMessages), String(ENGINE_CONSUMERS), String(args.quick ? 180_000 : 900_000));
    rmSync(chPath, { recursive: true, force: true });
    const r = { ...res, events_per_s: typeof res.ms === 'number' ? Math.round(statusMessages / ((res.ms as number) / 1000)) : null, load_at_start: la };
    log(`engine: ${JSON.stringify(r).slice(0, 600)}`);
    return r;
  };

  const workerRuns: Awaited<ReturnType<typeof worker>>[] = [];
  const engineRuns: Awaited<ReturnType<typeof engine>>[] = [];
  for (let i = 0; i < RUNS; i++) {
    workerRuns.push(await worker());
    if (args['no-engine']) continue;
    const e = await engine(i);
    engineRuns.push(e);
    if ('error' in e && e.error && i === 0) {
      notes.push(`Kafka engine failed: ${String(e.error).slice(0, 400)}`);
      // no point retrying a missing engine; keep measuring the worker
    }
  }
  let profile: unknown = null;
  if (!args['no-profile']) {
    const before = new Set(readdirSync(RESULTS_DIR));
    const p = await worker(RESULTS_DIR);
    const files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
    const file = files.map((f) => path.join(RESULTS_DIR, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
    profile = file ? { run: p, file: path.relative(ROOT, file), ...summarise(file, 25) } : { run: p, error: 'no .cpuprofile written (worker not exited cleanly?)' };
  }

  const ours = median(workerRuns.map((r) => r.status_events_per_s));
  const engineOk = engineRuns.filter((r) => typeof r.events_per_s === 'number');
  const theirs = engineOk.length ? median(engineOk.map((r) => r.events_per_s as number)) : null;
  const ratios = workerRuns.map((w, i) => (engineRuns[i]?.events_per_s ? w.status_events_per_s / (engineRuns[i]?.events_per_s as number) : NaN));
  writeResult(`${String(args.result)}${args.quick ? '.quick' : ''}`, {
    quick: Boolean(args.quick),
    date: new Date().toISOString(),
    machine: machine(),
    load_at_start: loadAtStart,
    kafka_nodes: KAFKA_NODES,
    input: { messages_produced: produced.acknowledged, status_events: statusMessages, all_source_messages: allMessages, services: 200, days: 30, partitions: 6, produce_ms: Math.round(produceMs), produce_msgs_per_s: Math.round(produced.acknowledged / (produceMs / 1000)) },
    method: 'worker: spawn `notify-stats ingest` (fresh DATA_DIR, embedded engine, group offsets deleted) -> poll consumer lag over the four source topics every 250 ms until 0; rows counted afterwards in its engine. Engine: fresh embedded engine in a child process, Kafka table (JSONEachRow) + materialized view into a copy of notification_events, timed from CREATE until count() reaches the status-topic message count. Rates are status events / wall time.',
    worker_runs: workerRuns,
    engine_runs: engineRuns,
    engine_consumers: ENGINE_CONSUMERS,
    median: {
      ingest_events_per_s: ours,
      kafka_engine_events_per_s: theirs,
      ingest_ratio: theirs ? round(median(ratios.filter(Number.isFinite)) ?? 0, 2) : null,
      worker_peak_rss_mb: median(workerRuns.map((r) => r.peak_rss_mb)),
    },
    profile,
    notes,
  });
} finally {
  await admin.disconnect();
  await local.stop();
  rmSync(kafkaDir, { recursive: true, force: true });
}
