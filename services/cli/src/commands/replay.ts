import { SOURCE_TOPICS, isSourceTopic } from '@notify-stats/events';
import { INGEST_GROUP_ID, activeMembers, applyRewind, committedOffsets, planRewind, type RewindFrom, type RewindPlan } from '@notify-stats/kafka';
import { parseEnv, sleep } from '@notify-stats/runtime';
import { apiEnv } from '../env.ts';
import { operatorKafka, print, printJson } from '../kafka-cli.ts';
import { operatorTarget, pipelineJson, type ApiTarget } from '../pipeline-api.ts';
import { progressBar } from '../progress.ts';

export interface ReplayOptions {
  topic: string[];
  from: string;
  to?: string;
  dryRun?: boolean;
  execute?: boolean;
  yes?: boolean;
  pauseIngest?: boolean;
  api?: string;
  json?: boolean;
}

function parseInstant(name: string, value: string): Date {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`${name} must be an ISO time such as 2024-04-01T00:00:00Z (or "earliest" for --from)`);
  return new Date(ms);
}

/**
 * Rewinds the ingest group so the pipeline reads the topics again from a time. Storage is
 * idempotent, so the reports come out identical; the point is to rebuild after a fix or a loss.
 */
export async function replayCommand(opts: ReplayOptions): Promise<void> {
  const topics = opts.topic.includes('all') ? [...SOURCE_TOPICS] : opts.topic;
  for (const t of topics) if (!isSourceTopic(t)) throw new Error(`unknown topic ${t}: one of ${SOURCE_TOPICS.join(', ')} or all`);
  const from: RewindFrom = opts.from === 'earliest' ? 'earliest' : parseInstant('--from', opts.from);
  const to = opts.to ? parseInstant('--to', opts.to) : undefined;

  const kafka = operatorKafka();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const plan = await planRewind(admin, INGEST_GROUP_ID, topics, from);
    // Progress is measured up to --to (or the current end): later messages are re-read as well, harmlessly.
    const targets = to
      ? new Map((await planRewind(admin, INGEST_GROUP_ID, topics, to)).map((t) => [key(t), t.to]))
      : await endTargets(admin, topics);
    const total = plan.reduce((n, p) => n + Math.max(0, (targetOf(targets, p) ?? p.to) - p.to), 0);
    // Moving a group's offsets is not undone by running the command again: like
    // kafka-consumer-groups --reset-offsets, it shows the plan unless --execute (or --yes) is given.
    const execute = !opts.dryRun && Boolean(opts.execute || opts.yes);
    const document = { groupId: INGEST_GROUP_ID, topics, from: opts.from, plan, messagesToReplay: total, executed: execute };
    if (!opts.json) {
      print(`Replay of ${topics.join(', ')} from ${opts.from}${opts.to ? ` (progress measured to ${opts.to})` : ''} for group ${INGEST_GROUP_ID}:`);
      for (const p of plan) print(`  ${p.topic}[${p.partition}]  committed ${p.from < 0 ? '-' : p.from}  ->  ${p.to}`);
      print(`  ${total} message(s) will be read again.${execute ? '' : ' Nothing changed: pass --execute to rewind.'}`);
    }
    if (!execute) return opts.json ? printJson(document) : undefined;

    const env = parseEnv(apiEnv);
    const target: ApiTarget = operatorTarget(env, opts.api);
    const members = await activeMembers(admin, INGEST_GROUP_ID);
    if (members > 0 && !opts.pauseIngest) {
      throw new Error(
        `the ingest group has ${members} active consumer(s); Kafka refuses to move a live group's offsets. ` +
          'Stop the ingest workers first, or pass --pause-ingest to have the running pipeline pause around the rewind.',
      );
    }
    let paused = false;
    if (members > 0) {
      await pipelineJson(target, 'POST', '/admin/ingest/pause');
      paused = true;
      for (let i = 0; i < 60 && (await activeMembers(admin, INGEST_GROUP_ID)) > 0; i++) await sleep(500);
    }
    try {
      await applyRewind(kafka, INGEST_GROUP_ID, plan);
    } finally {
      if (paused) await pipelineJson(target, 'POST', '/admin/ingest/resume');
    }
    if (!opts.json) print('Rewound. Waiting for the pipeline to read it again (Ctrl-C stops watching; the replay goes on).');
    const replayed = await watchProgress(admin, plan, targets, total);
    if (opts.json) printJson({ ...document, replayed, complete: replayed >= total });
  } finally {
    await admin.disconnect();
  }
}

const key = (p: { topic: string; partition: number }) => `${p.topic}:${p.partition}`;
const targetOf = (targets: Map<string, number>, p: RewindPlan) => targets.get(key(p));

async function endTargets(admin: Parameters<typeof committedOffsets>[0], topics: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) out.set(`${topic}:${o.partition}`, Number(o.high));
  return out;
}

async function watchProgress(
  admin: Parameters<typeof committedOffsets>[0],
  plan: RewindPlan[],
  targets: Map<string, number>,
  total: number,
): Promise<number> {
  const bar = progressBar('messages');
  bar.start(total);
  let stop = false;
  const onSigint = () => (stop = true);
  process.once('SIGINT', onSigint);
  let done = 0;
  try {
    while (!stop) {
      const committed = await committedOffsets(admin, INGEST_GROUP_ID, [...new Set(plan.map((p) => p.topic))]);
      done = plan.reduce((n, p) => n + Math.max(0, Math.min(committed.get(key(p)) ?? 0, targets.get(key(p)) ?? 0) - p.to), 0);
      bar.update(done, total);
      if (done >= total) break;
      await sleep(500);
    }
  } finally {
    process.off('SIGINT', onSigint);
    bar.stop();
  }
  return done;
}
