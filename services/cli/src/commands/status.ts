import { lastBuilds, pendingDays, readState, STATE_KEYS } from '@notify-stats/clickhouse';
import { INGEST_GROUP_ID, kafkaStatus, type KafkaStatus } from '@notify-stats/kafka';
import { createLogger, parseEnv } from '@notify-stats/runtime';
import { openMigratedClickhouse } from '../connections.ts';
import { apiEnv, type ApiEnv } from '../env.ts';
import { operatorKafka, print, printJson } from '../kafka-cli.ts';
import { PipelineUnreachable, operatorTarget, pipelineJson } from '../pipeline-api.ts';

interface RollupStatus {
  watermark: string | null;
  pending: number;
  lastBuilds: Array<{ scope: string; day: string; finished_at: string; duration_ms: number; rows: number }>;
}

interface IngestStall { topic: string; partition: number; since: string; failingForMs: number; reason: string; stalled: boolean }

/** The running pipeline's own account (rollups, failing writes); null when no pipeline answers. */
async function runningPipeline(env: ApiEnv, api: string | undefined): Promise<{ rollups: RollupStatus; ingest?: { stalls?: IngestStall[] } } | null> {
  try {
    return await pipelineJson(operatorTarget(env, api), 'GET', '/admin/pipeline/status');
  } catch (err) {
    if (err instanceof PipelineUnreachable || String(err).includes(' 503 ')) return null;
    throw err;
  }
}

/** Where the rollups stand when no pipeline answers: from ClickHouse itself. */
async function rollupStatusFromClickhouse(env: ApiEnv): Promise<RollupStatus> {
  const ch = await openMigratedClickhouse(env, createLogger('status'));
  try {
    return {
      watermark: await readState(ch.client, STATE_KEYS.freshnessWatermark),
      pending: (await pendingDays(ch.client)).length,
      lastBuilds: await lastBuilds(ch.client, 10),
    };
  } finally {
    await ch.close();
  }
}

export interface StatusOptions {
  json?: boolean;
  api?: string;
  /** Seconds: a watermark older than this makes the pipeline unhealthy (0: no check). */
  maxAge: number;
  /** Messages: a total lag above this makes the pipeline unhealthy. */
  maxLag?: number;
}

/** The exit code of a status that found the pipeline unhealthy (1 stays "the command failed"). */
export const UNHEALTHY_EXIT_CODE = 2;

/** What a probe or a script acts on: every reason the pipeline is not healthy, or none. */
export function statusProblems(
  kafka: Pick<KafkaStatus, 'totalLag'>,
  rollups: Pick<RollupStatus, 'watermark'>,
  stalls: IngestStall[] | null,
  opts: Pick<StatusOptions, 'maxAge' | 'maxLag'>,
  now = Date.now(),
): string[] {
  const problems: string[] = [];
  for (const s of stalls ?? []) if (s.stalled) problems.push(`${s.topic}[${s.partition}] stalled for ${Math.round(s.failingForMs / 1000)} s: ${s.reason}`);
  if (opts.maxAge > 0) {
    if (!rollups.watermark) problems.push('no freshness watermark yet');
    else {
      const age = (now - Date.parse(rollups.watermark)) / 1000;
      if (age > opts.maxAge) problems.push(`freshness watermark ${rollups.watermark} is ${Math.round(age)} s old (more than --max-age ${opts.maxAge} s)`);
    }
  }
  if (opts.maxLag !== undefined && kafka.totalLag > opts.maxLag) problems.push(`consumer lag ${kafka.totalLag} (more than --max-lag ${opts.maxLag})`);
  return problems;
}

export async function statusCommand(opts: StatusOptions): Promise<void> {
  const admin = operatorKafka().admin();
  await admin.connect();
  let kafka: KafkaStatus;
  try {
    kafka = await kafkaStatus(admin, INGEST_GROUP_ID);
  } finally {
    await admin.disconnect();
  }
  const env = parseEnv(apiEnv);
  const running = await runningPipeline(env, opts.api);
  const rollups = running?.rollups ?? (await rollupStatusFromClickhouse(env));
  const stalls = running?.ingest?.stalls ?? null;
  // Scripts and probes read the exit code: 0 healthy, 2 unhealthy (why is printed), 1 the command failed.
  const problems = statusProblems(kafka, rollups, stalls, opts);
  if (problems.length) process.exitCode = UNHEALTHY_EXIT_CODE;
  if (opts.json) return printJson({ healthy: problems.length === 0, problems, kafka, rollups, ingest: { stalls } });
  print(`Ingest group ${kafka.groupId}: ${kafka.members} consumer(s), total lag ${kafka.totalLag}`);
  for (const p of kafka.partitions) print(`  ${p.topic}[${p.partition}]  committed ${p.committed}  end ${p.end}  lag ${p.lag}`);
  if (stalls === null) print('Failing writes: unknown (no running pipeline answers)');
  else if (stalls.length === 0) print('Failing writes: none');
  else {
    print('Failing writes:');
    for (const s of stalls) print(`  ${s.topic}[${s.partition}]  ${s.stalled ? 'STALLED' : 'failing'} for ${Math.round(s.failingForMs / 1000)} s since ${s.since}: ${s.reason}`);
  }
  print('Dead letters:');
  for (const [topic, n] of Object.entries(kafka.deadLetters)) print(`  ${topic}  ${n}`);
  const lag = rollups.watermark ? `${((Date.now() - Date.parse(rollups.watermark)) / 1000).toFixed(1)} s ago` : 'none yet';
  print(`Freshness watermark: ${rollups.watermark ?? '-'} (${lag})`);
  print(`Dirty days waiting: ${rollups.pending}`);
  print('Last rollups:');
  for (const b of rollups.lastBuilds.slice(0, 10)) print(`  ${b.scope} ${b.day}  ${b.rows} rows in ${b.duration_ms} ms, finished ${b.finished_at}`);
  print(problems.length ? `UNHEALTHY:\n${problems.map((p) => `  ${p}`).join('\n')}` : 'Healthy.');
}
