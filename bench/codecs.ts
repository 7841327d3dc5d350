// Ingest throughput on compressed topics: the same backlog stored uncompressed, lz4 and zstd (the
// topics' compression.type makes the broker recompress every batch it receives), drained by our
// worker (`notify-stats ingest`, a child process, embedded engine). One broker per variant, all
// up at once, and the runs interleave the variants so that load from elsewhere hits them alike.
//
//   tsx bench/codecs.ts [--quick] [--events N] [--runs 3] [--codecs none,lz4,zstd]
//
// Writes bench/results/codecs.json (codecs.quick.json with --quick).
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { SOURCE_TOPICS, TOPICS } from '@notify-stats/events';
import { createKafka, topicConfigs } from '@notify-stats/kafka';
import { produce } from '@notify-stats/loadgen';
import { startLocalKafka, type LocalKafka } from '@notify-stats/local-kafka';
import { createLogger } from '@notify-stats/runtime';
import { drainWithWorker } from './drain.ts';
import { benchArgs, load, log, machine, median, round, writeResult } from './lib.ts';
import { tempDir } from '../test/support/broker.ts';

const args = benchArgs({ events: { type: 'string' }, codecs: { type: 'string', default: 'none,lz4,zstd' } });
const N = Number(args.events ?? (args.quick ? 50_000 : 500_000));
const RUNS = Number(args.runs ?? (args.quick ? 1 : 3));
const VARIANTS = String(args.codecs).split(',').map((s) => s.trim());
for (const v of VARIANTS) if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(v)) throw new Error(`unknown codec ${v}`);
/** Bytes of the topic's log segments on the broker's disk. */
function storedBytes(local: LocalKafka, topic: string): number {
  const logDir = path.join(local.dataDir, 'logs');
  let total = 0;
  for (const d of readdirSync(logDir).filter((d) => d.startsWith(`${topic}-`))) {
    for (const f of readdirSync(path.join(logDir, d)).filter((f) => f.endsWith('.log'))) total += statSync(path.join(logDir, d, f)).size;
  }
  return total;
}

const loadAtStart = load();
const logger = createLogger('bench', {});
logger.level = 'error';
log(`codecs benchmark: ${N.toLocaleString()} messages per topic set, variants ${VARIANTS.join(', ')}, ${RUNS} run(s), load ${loadAtStart.join(' ')}`);

interface Variant {
  codec: string;
  local: LocalKafka;
  kafkaDir: string;
  statusMessages: number;
  allMessages: number;
  storedMb: Record<string, number>;
  produceMs: number;
}
const variants: Variant[] = [];
const notes: string[] = [];
try {
  for (const codec of VARIANTS) {
    const kafkaDir = tempDir(`bench-codecs-${codec}`);
    const local = await startLocalKafka({ dataDir: kafkaDir, port: 0 });
    const v: Variant = { codec, local, kafkaDir, statusMessages: 0, allMessages: 0, storedMb: {}, produceMs: 0 };
    variants.push(v); // stopped in finally, whatever happens next
    const kafka = createKafka(local.brokers, 'notify-stats-bench', logger);
    const admin = kafka.admin();
    await admin.connect();
    // The pipeline's topics as ensureTopics makes them, plus the broker-side codec. 'uncompressed'
    // rather than the default 'producer' so that the baseline is stored plain whatever sends to it.
    const compression = codec === 'none' ? 'uncompressed' : codec;
    const topics = topicConfigs(6).map((t) =>
      (SOURCE_TOPICS as readonly string[]).includes(t.topic) ? { ...t, configEntries: [...(t.configEntries ?? []), { name: 'compression.type', value: compression }] } : t,
    );
    await admin.createTopics({ topics, waitForLeaders: true });
    const t0 = performance.now();
    const produced = await produce(kafka, { count: N, services: 200, days: 30, seed: 6 });
    const produceMs = performance.now() - t0;
    for (const t of SOURCE_TOPICS) {
      const n = (await admin.fetchTopicOffsets(t)).reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
      v.allMessages += n;
      if (t === TOPICS.notificationStatus) v.statusMessages = n;
    }
    await admin.disconnect();
    v.produceMs = produceMs;
    v.storedMb = Object.fromEntries(SOURCE_TOPICS.map((t) => [t, round(storedBytes(local, t) / 2 ** 20, 1)]));
    log(`${codec}: produced ${produced.acknowledged.toLocaleString()} messages in ${Math.round(produceMs)} ms; stored ${JSON.stringify(v.storedMb)} MB`);
  }

  const worker = async (v: Variant) => {
    const admin = createKafka(v.local.brokers, 'notify-stats-bench', logger).admin();
    await admin.connect();
    try {
      const d = await drainWithWorker({ brokers: v.local.brokers, admin, label: v.codec, timeoutMs: Math.max(300_000, N * 2) });
      if (d.exit !== 0) notes.push(`${v.codec}: worker exit ${d.exit}: ${d.stderr.slice(-500)}`);
      if (/not implemented/i.test(d.stderr)) notes.push(`${v.codec}: ${d.stderr.slice(-500)}`);
      const { ms, cpuS } = d;
      const r = {
        ms: Math.round(ms),
        status_events_per_s: Math.round(v.statusMessages / (ms / 1000)),
        events_per_s: Math.round(v.allMessages / (ms / 1000)),
        cpu_s: round(cpuS, 2),
        cpu_us_per_event: round((cpuS / v.allMessages) * 1e6, 1),
        rows: d.rows,
        peak_rss_mb: d.peakRssMb,
        median_rss_mb: d.medianRssMb,
        load_at_start: d.loadAtStart,
        exit: d.exit,
      };
      if (d.rows !== v.statusMessages) notes.push(`${v.codec}: ${d.rows} rows for ${v.statusMessages} status events`);
      log(`${v.codec}: ${JSON.stringify(r)}`);
      return r;
    } finally {
      await admin.disconnect();
    }
  };

  const runs: Record<string, Awaited<ReturnType<typeof worker>>[]> = {};
  for (let i = 0; i < RUNS; i++) {
    // Rotate the order each round: no variant always goes first.
    const order = variants.map((_, k) => variants[(k + i) % variants.length] as Variant);
    for (const v of order) (runs[v.codec] ??= []).push(await worker(v));
  }

  const med = (codec: string, k: 'status_events_per_s' | 'cpu_us_per_event' | 'peak_rss_mb') => median((runs[codec] ?? []).map((r) => r[k]));
  const base = med('none', 'status_events_per_s');
  writeResult(`codecs${args.quick ? '.quick' : ''}`, {
    quick: Boolean(args.quick),
    date: new Date().toISOString(),
    machine: machine(),
    load_at_start: loadAtStart,
    load_at_end: load(),
    input: { messages_per_variant: N, services: 200, days: 30, partitions: 6, runs: RUNS, producer: 'loadgen (kafkajs, uncompressed batches of 1,000); the broker recompresses per topic compression.type' },
    method:
      'per variant a local broker whose four source topics have compression.type none (uncompressed) / lz4 / zstd; the same loadgen backlog in each. A run: spawn `notify-stats ingest` (fresh DATA_DIR, group offsets deleted), poll consumer lag every 250 ms until 0; CPU = the worker process user+system time from /proc at lag 0 (all its threads); rows counted afterwards. Variants interleaved, order rotated per round; medians.',
    variants: Object.fromEntries(
      variants.map((v) => [
        v.codec,
        {
          status_messages: v.statusMessages,
          all_messages: v.allMessages,
          stored_mb: v.storedMb,
          produce_ms: Math.round(v.produceMs),
          runs: runs[v.codec],
          median: {
            status_events_per_s: med(v.codec, 'status_events_per_s'),
            cpu_us_per_event: med(v.codec, 'cpu_us_per_event'),
            peak_rss_mb: med(v.codec, 'peak_rss_mb'),
            vs_none: base ? round((med(v.codec, 'status_events_per_s') ?? 0) / base, 2) : null,
          },
        },
      ]),
    ),
    notes,
  });
} finally {
  for (const v of variants) {
    await v.local.stop();
    rmSync(v.kafkaDir, { recursive: true, force: true });
  }
}
