// Measures how many events/s `produce` pushes into a fresh local broker (rate unlimited).
//   npx tsx scripts/measure.ts [count=300000] [batchSize=1000] [inFlight=16] [threads=2] [connections=1]
// threads 0 = produce on the calling thread through its kafkajs client.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpuUsage } from 'node:process';
import { Kafka, logLevel } from 'kafkajs';
import { SOURCE_TOPICS, TOPICS } from '@notify-stats/events';
import { startLocalKafka } from '@notify-stats/local-kafka';
import { produce } from '../src/index.ts';

/** CPU seconds (user + system) the broker's JVM has used so far, from /proc (Linux only; 0 elsewhere). */
function brokerCpuSeconds(dataDir: string): number {
  try {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('kafka.Kafka') || !cmdline.includes(dataDir)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in 1/100 s ticks
    }
  } catch {
    // not Linux, or the process went away
  }
  return 0;
}

const [count = 300_000, batchSize = 1000, inFlight = 16, threads = 2, connections = 1] = process.argv.slice(2).map(Number);
const dataDir = mkdtempSync(path.join(tmpdir(), 'loadgen-measure-'));
const local = await startLocalKafka({ dataDir, port: 0 });
try {
  const kafka = new Kafka({ clientId: 'loadgen-measure', brokers: local.brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: SOURCE_TOPICS.map((topic) => ({
      topic,
      numPartitions: 6,
      configEntries: topic === TOPICS.referenceData ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
    })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  const options = { count, services: 20, seed: 42, days: 30, endDay: '2024-05-10', lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.005, batchSize, inFlight, brokers: local.brokers, threads, connections };
  // A short warm-up run so the JIT and the broker's log segments are ready.
  await produce(kafka, { ...options, count: Math.min(count, 50_000), seed: 1 });
  const cpu0 = cpuUsage();
  const broker0 = brokerCpuSeconds(dataDir);
  const load0 = loadavg()[0]!;
  // Sustained rate: between 10 % and 90 % acknowledged (thread start-up and the tail left out).
  let at10: [number, number] | null = null;
  let at90: [number, number] | null = null;
  let firstAckMs: number | null = null;
  const result = await produce(kafka, options, (p) => {
    firstAckMs ??= p.elapsedMs;
    if (!at10 && p.acknowledged >= 0.1 * p.total) at10 = [p.acknowledged, p.elapsedMs];
    if (!at90 && p.acknowledged >= 0.9 * p.total) at90 = [p.acknowledged, p.elapsedMs];
  });
  const cpu = cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const brokerSeconds = brokerCpuSeconds(dataDir) - broker0;
  console.log(
    JSON.stringify({
      messages: result.acknowledged,
      seconds: +(result.elapsedMs / 1000).toFixed(2),
      eventsPerSecond: Math.round(result.messagesPerSecond),
      sustainedEventsPerSecond: at10 && at90 ? Math.round(((at90 as [number, number])[0] - (at10 as [number, number])[0]) / (((at90 as [number, number])[1] - (at10 as [number, number])[1]) / 1000)) : null,
      firstAckSeconds: firstAckMs === null ? null : +((firstAckMs as number) / 1000).toFixed(2),
      lastTenPercentSeconds: at90 ? +((result.elapsedMs - (at90 as [number, number])[1]) / 1000).toFixed(2) : null,
      nodeCpuSeconds: +cpuSeconds.toFixed(2),
      brokerCpuSeconds: +brokerSeconds.toFixed(2),
      // What 2 otherwise idle cores could sustain at this CPU cost per event (node + broker).
      eventsPerSecondOnTwoIdleCores: Math.round((2 * result.acknowledged) / (cpuSeconds + brokerSeconds)),
      loadAverageBefore: +load0.toFixed(2),
      loadAverageAfter: +loadavg()[0]!.toFixed(2),
      batchSize,
      inFlight,
      threads,
      connections,
    }),
  );
} finally {
  await local.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
