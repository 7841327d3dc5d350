// Shared helpers of the benchmarks (bench/*.ts): machine facts, medians, result files, logging.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export const log = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);

export function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':')[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc').toString().trim());
  } catch {
    // keep os.cpus()
  }
  return { nproc, memory_gb: round(totalmem() / 2 ** 30, 1), cpu_model: cpuModel, node: process.version };
}

export const load = () => loadavg().map((x) => round(x, 2));

/** Busy and total jiffies of the machine's CPUs (/proc/stat's first line), or null off Linux. */
function machineJiffies(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3]! - fields[4]!, total }; // less idle and iowait
  } catch {
    return null;
  }
}

/**
 * Cores kept busy from now until `stop()`: the whole machine's, and this process's alone (the
 * rest is the broker and anything else running), and how busy its JavaScript thread was. Says
 * whether a run was short of CPU, and where.
 */
export function cpuMeter(): { stop(): { machine_cores_busy: number | null; this_process_cores: number; event_loop_utilisation: number } } {
  const nproc = machine().nproc;
  const startedAt = performance.now();
  const startLoop = performance.eventLoopUtilization();
  const startMachine = machineJiffies();
  const startProcess = process.cpuUsage();
  return {
    stop() {
      const wallUs = (performance.now() - startedAt) * 1000;
      const used = process.cpuUsage(startProcess);
      const endMachine = machineJiffies();
      const machineCores = startMachine && endMachine ? ((endMachine.busy - startMachine.busy) / Math.max(1, endMachine.total - startMachine.total)) * nproc : null;
      return {
        machine_cores_busy: machineCores === null ? null : round(machineCores, 2),
        this_process_cores: round((used.user + used.system) / wallUs, 2),
        // The share of the time this process's JavaScript thread was busy: near 1, everything on it waits its turn.
        event_loop_utilisation: round(performance.eventLoopUtilization(startLoop).utilization, 2),
      };
    },
  };
}

export const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

export function median(xs: number[]): number | null {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** p50, p99 and the first of latencies in the order they were measured (ms, one decimal). */
export function latencySummary(inOrder: readonly number[]): { p50: number; p99: number; first: number } {
  const sorted = [...inOrder].sort((a, b) => a - b);
  const at = (p: number) => round(percentile(sorted, p) ?? NaN, 1);
  return { p50: at(50), p99: at(99), first: round(inOrder[0] ?? NaN, 1) };
}

export function writeResult(name: string, result: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${path.relative(ROOT, file)}`);
  return file;
}

/** Flags every benchmark file accepts: --quick (smoke size), --runs N. */
export function benchArgs(extra: NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']> = {}) {
  return parseArgs({
    options: { quick: { type: 'boolean', default: false }, runs: { type: 'string' }, ...extra },
    allowPositionals: true,
  }).values as Record<string, string | boolean | undefined>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
