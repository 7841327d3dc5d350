// Which npm packages should decompress Kafka batches? Not part of `npm run bench`: most candidates
// are not dependencies. Install them in a scratch folder first, then:
//
//   (cd /tmp/codec-cand && npm init -y && npm install snappy snappyjs kafkajs-snappy lz4-napi lz4js \
//      @toondepauw/node-zstd fzstd zstd-codec zstddec)
//   NODE_PATH=/tmp/codec-cand/node_modules npx tsx bench/codec-candidates/run.ts [--count 300000] [--runs 3] [--only a,b] [--result codec-candidates]
//
// A local broker; one topic per codec (6 partitions), filled by the Kafka project's own Java
// producer (test/support/java-producer.ts: kafka-clients 3.9.1 with snappy-java, lz4-java,
// zstd-jni) with status events; then each candidate reads its codec's topic in a fresh process
// (consume.cjs), runs interleaved. Writes bench/results/codec-candidates.json.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createKafka } from '@notify-stats/kafka';
import { startLocalKafka } from '@notify-stats/local-kafka';
import { createLogger } from '@notify-stats/runtime';
import { ROOT, benchArgs, load, log, machine, median, round, writeResult } from '../lib.ts';
import { tempDir } from '../../test/support/broker.ts';
import { statusEvent } from '../../test/support/events.ts';
import { produceWithJava, type JavaCompression } from '../../test/support/java-producer.ts';

const args = benchArgs({ count: { type: 'string' }, only: { type: 'string' }, result: { type: 'string', default: 'codec-candidates' } });
const N = Number(args.count ?? (args.quick ? 50_000 : 300_000));
const RUNS = Number(args.runs ?? (args.quick ? 1 : 3));

const CANDIDATES: Record<string, JavaCompression> = {
  none: 'none',
  'gzip-zlib': 'gzip',
  'snappy-napi': 'snappy',
  'snappy-napi-async': 'snappy',
  snappyjs: 'snappy',
  'kafkajs-snappy': 'snappy',
  'lz4-napi': 'lz4',
  'lz4-napi-async': 'lz4',
  lz4js: 'lz4',
  'node-zstd': 'zstd',
  'node-zstd-async': 'zstd',
  fzstd: 'zstd',
  'zstd-codec': 'zstd',
  'zstddec-stream': 'zstd',
};
const only = args.only ? String(args.only).split(',') : Object.keys(CANDIDATES);
const topicOf = (c: JavaCompression) => `codec-bench-${c}`;

function consume(candidate: string, topic: string, brokers: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench/codec-candidates/consume.cjs'), candidate, topic, String(N)], {
      env: { ...process.env, KAFKA_BROKERS: brokers },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as Record<string, unknown>);
      else reject(new Error(`${candidate}: exit ${code}\n${out.slice(-2000)}`));
    });
  });
}

const loadAtStart = load();
log(`codec candidates: ${N.toLocaleString()} messages per topic, ${RUNS} run(s), load ${loadAtStart.join(' ')}`);
const kafkaDir = tempDir('codec-candidates');
const local = await startLocalKafka({ dataDir: kafkaDir, port: 0 });
const logger = createLogger('bench', {});
logger.level = 'error';
const admin = createKafka(local.brokers, 'codec-candidates', logger).admin();
await admin.connect();
try {
  const compressions = [...new Set(only.map((c) => CANDIDATES[c] as JavaCompression))];
  await admin.createTopics({ topics: compressions.map((c) => ({ topic: topicOf(c), numPartitions: 6, replicationFactor: 1 })), waitForLeaders: true });
  const fill: Record<string, unknown> = {};
  for (const c of compressions) {
    const messages = (function* () {
      for (let i = 0; i < N; i++) {
        const e = statusEvent({ created_at: `2024-04-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00.000Z` });
        yield { key: String(e.notification_id), value: JSON.stringify(e) };
      }
    })();
    const r = await produceWithJava({ brokers: local.brokers, topic: topicOf(c), compression: c, messages, timeoutMs: 600_000 });
    fill[c] = { ...r, msgs_per_s: Math.round(r.sent / (r.ms / 1000)) };
    log(`filled ${topicOf(c)}: ${JSON.stringify(fill[c])}`);
  }
  const runs: Record<string, Record<string, unknown>[]> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const candidate of only) {
      const r = await consume(candidate, topicOf(CANDIDATES[candidate] as JavaCompression), local.brokers.join(','));
      (runs[candidate] ??= []).push(r);
      log(`${candidate} run ${i + 1}: ${r.msgsPerSecSteady} msgs/s, ${r.cpuUsPerMsg} µs CPU/msg, RSS ${r.peakRssMB} MB, decompress ${r.decompressMs} ms (CPU ${r.decompressCpuMs} ms, ${r.decompressMBps} MB/s, 2nd half ${r.decompressMBpsSecondHalf} MB/s) (load ${r.load1})`);
    }
  }
  const num = (rs: Record<string, unknown>[], k: string) => median(rs.map((r) => Number(r[k])));
  const results = Object.fromEntries(
    Object.entries(runs).map(([c, rs]) => [
      c,
      {
        codec: CANDIDATES[c],
        msgs_per_s: num(rs, 'msgsPerSecSteady'),
        cpu_us_per_msg: round(num(rs, 'cpuUsPerMsg') ?? 0, 2),
        peak_rss_mb: num(rs, 'peakRssMB'),
        decompress_ms: num(rs, 'decompressMs'),
        decompress_cpu_ms: num(rs, 'decompressCpuMs'),
        decompress_mb_per_s: num(rs, 'decompressMBps'),
        decompress_mb_per_s_second_half: num(rs, 'decompressMBpsSecondHalf'),
        batches: num(rs, 'decompressCalls'),
        compressed_mb: num(rs, 'compressedMB'),
        decompressed_mb: num(rs, 'decompressedMB'),
        runs: rs,
      },
    ]),
  );
  writeResult(`${String(args.result)}${args.quick ? '.quick' : ''}`, {
    date: new Date().toISOString(),
    machine: machine(),
    load_at_start: loadAtStart,
    load_at_end: load(),
    input: { messages_per_topic: N, runs: RUNS, partitions: 6, producer: 'kafka-clients 3.9.1 JsonLinesProducer (acks=all, linger.ms=50, batch.size=512 kB)', fill },
    method:
      'each candidate in a fresh node process (consume.cjs): kafkajs 2.2.4 consumer from the beginning, eachBatch counting messages; msgs/s and CPU µs/msg (process.cpuUsage, all threads) from the first fetch request (after the group join) to the Nth message; peak RSS sampled every 100 ms; decompress_ms = wall time inside the codec (async ones include the thread-pool hop), decompress_cpu_ms = process CPU time during those calls (meaningful for the synchronous ones); decompress_mb_per_s_second_half = decompressed MB per second of codec time over the second half of the messages (after V8 has optimised JavaScript/WebAssembly codecs). Medians over runs, candidates interleaved.',
    results,
  });
} finally {
  await admin.disconnect();
  await local.stop();
  rmSync(kafkaDir, { recursive: true, force: true });
}
