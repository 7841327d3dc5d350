// The measurement bench/ingest.ts and bench/codecs.ts share: `notify-stats ingest` run as its own
// process (fresh DATA_DIR, embedded engine, group offsets deleted) until the group's lag over the
// four source topics is 0, with its wall time, CPU, RSS, and the rows its engine holds afterwards.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import { SOURCE_TOPICS } from '@notify-stats/events';
import { INGEST_GROUP_ID, consumerLag } from '@notify-stats/kafka';
import { ROOT, load, median, round, waitUntil } from './lib.ts';
import { tempDir } from '../test/support/broker.ts';
import { rssMb, samplePeakRss } from '../test/support/rss.ts';

const CLI = path.join(ROOT, 'bin/notify-stats.mjs');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const run = promisify(execFile);
// utime and stime in /proc/<pid>/stat are in clock ticks (USER_HZ, 100 on Linux).
const CLK_TCK = 100;

/** Runs one task of bench/chdb-task.ts in its own process (the embedded engine is one per process). */
export async function chdbTask(...a: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(TSX, [path.join(ROOT, 'bench/chdb-task.ts'), ...a], { maxBuffer: 64 << 20, timeout: 1_800_000 });
  const line = stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as Record<string, unknown>;
}

/** CPU seconds (user + system) a live process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export interface DrainOptions {
  brokers: string[];
  admin: Admin;
  /** Names the run in errors. */
  label: string;
  timeoutMs: number;
  /** Node options before the CLI (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

export interface Drained {
  ms: number;
  cpuS: number;
  peakRssMb: number;
  medianRssMb: number;
  exit: number | string | null;
  /** The tail of the worker's stderr. */
  stderr: string;
  rows: number;
  uniqueEvents: number;
  loadAtStart: number[];
}

export async function drainWithWorker(opts: DrainOptions): Promise<Drained> {
  await opts.admin.deleteGroups([INGEST_GROUP_ID]).catch(() => undefined);
  const dataDir = tempDir('bench-drain');
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: opts.brokers.join(','), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  const loadAtStart = load();
  const started = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'ingest'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | string | null>((r) => child.on('exit', (c, s) => r(c ?? s)));
  const pid = child.pid as number;
  const rss = samplePeakRss(pid, 200);
  const rssSamples: number[] = [];
  const sampler = setInterval(() => {
    try {
      rssSamples.push(rssMb(pid));
    } catch {
      // exited
    }
  }, 1000);
  let dead = false;
  void exited.then(() => (dead = true));
  await waitUntil(`${opts.label}: worker lag 0`, async () => {
    if (dead) throw new Error(`worker exited before lag 0: ${stderr.slice(-1000)}`);
    // Transient coordinator errors (e.g. NOT_COORDINATOR_FOR_GROUP while the group forms) are retried.
    const lag = await consumerLag(opts.admin, INGEST_GROUP_ID, SOURCE_TOPICS).catch(() => []);
    return lag.length > 0 && lag.every((p) => p.lag === 0);
  }, opts.timeoutMs, 250);
  const ms = performance.now() - started;
  const cpuS = cpuSeconds(pid);
  clearInterval(sampler);
  const peak = rss.stop();
  child.kill('SIGTERM');
  const exit = await exited;
  const counted = await chdbTask('count', path.join(dataDir, 'clickhouse'));
  rmSync(dataDir, { recursive: true, force: true });
  return {
    ms,
    cpuS,
    peakRssMb: Math.round(peak),
    medianRssMb: round(median(rssSamples) ?? 0),
    exit,
    stderr,
    rows: Number(counted.rows),
    uniqueEvents: Number(counted.unique_events),
    loadAtStart,
  };
}
