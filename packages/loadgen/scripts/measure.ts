// Measures how many events/s `produce` pushes into a fresh local broker, rate unlimited:
//   npx tsx scripts/measure.ts [count=1000000] [batchSize=1000] [inFlight=16] [threads=2] [connections=1]
// threads = producing threads, the calling one included (1 = only it). Prints one JSON line:
// the overall rate (first send to last acknowledgement), the sustained rate (10 % to 90 %
// acknowledged), and the CPU the producer and the broker used, since the machine may be shared.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { cpuUsage } from 'node:process';
import { Kafka, logLevel } from 'kafkajs';
import { SOURCE_TOPICS, TOPICS } from '@notify-stats/events';
import { startLocalKafka, type LocalKafka } from '@notify-stats/local-kafka';
import { produce, type ProduceProgress } from '../src/index.ts';

const [count = 1_000_000, batchSize = 1000, inFlight = 16, threads = 2, connections = 1] = process.argv.slice(2).map(Number);

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

async function startBroker(): Promise<{ local: LocalKafka; dataDir: string }> {
  for (let attempt = 1; ; attempt++) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'loadgen-measure-'));
    try {
      return { local: await startLocalKafka({ dataDir, port: 0 }), dataDir };
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      if (attempt === 3) throw err;
    }
  }
}

const { local, dataDir } = await startBroker();
try {
  const kafka = new Kafka({ clientId: 'loadgen-measure', brokers: local.brokers, logLevel: logLevel.ERROR });
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
  const options = {
    count, services: 20, seed: 42, days: 30, endDay: '2024-05-10', lateFraction: 0.05, duplicateFraction: 0.02, invalidFraction: 0.005,
    batchSize, inFlight, brokers: local.brokers, threads, connections,
  };
  // A short warm-up run so the JIT and the broker's log segments are ready.
  await produce(kafka, { ...options, count: Math.min(count, 50_000), seed: 1 });

  const marks: { first?: ProduceProgress; at10?: ProduceProgress; at90?: ProduceProgress } = {};
  const cpu0 = cpuUsage();
  const broker0 = brokerCpuSeconds(dataDir);
  const load0 = loadavg()[0]!;
  const result = await produce(kafka, options, (p) => {
    marks.first ??= p;
    if (p.acknowledged >= 0.1 * p.total) marks.at10 ??= p;
    if (p.acknowledged >= 0.9 * p.total) marks.at90 ??= p;
  });
  const cpu = cpuUsage(cpu0);
  const nodeSeconds = (cpu.user + cpu.system) / 1e6;
  const brokerSeconds = brokerCpuSeconds(dataDir) - broker0;
  const { at10, at90 } = marks;
  process.stdout.write(
    `${JSON.stringify({
      messages: result.acknowledged,
      seconds: +(result.elapsedMs / 1000).toFixed(2),
      eventsPerSecond: Math.round(result.messagesPerSecond),
      sustainedEventsPerSecond: at10 && at90 ? Math.round((at90.acknowledged - at10.acknowledged) / ((at90.elapsedMs - at10.elapsedMs) / 1000)) : null,
      firstAckSeconds: marks.first ? +(marks.first.elapsedMs / 1000).toFixed(2) : null,
      nodeCpuSeconds: +nodeSeconds.toFixed(2),
      brokerCpuSeconds: +brokerSeconds.toFixed(2),
      // What two otherwise idle cores could sustain at this CPU cost per event (producer + broker).
      eventsPerSecondOnTwoIdleCores: Math.round((2 * result.acknowledged) / (nodeSeconds + brokerSeconds)),
      loadAverageBefore: +load0.toFixed(2),
      loadAverageAfter: +loadavg()[0]!.toFixed(2),
      batchSize,
      inFlight,
      threads,
      connections,
    })}\n`,
  );
} finally {
  await local.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
