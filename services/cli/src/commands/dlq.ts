import { dlqTopicOf, isSourceTopic, SOURCE_TOPICS, DLQ_TOPICS } from '@notify-stats/events';
import { listDeadLetters, redrive, type DeadLetter } from '@notify-stats/kafka';
import { operatorKafka, print, printJson } from '../kafka-cli.ts';

export interface DlqFilter {
  topic?: string;
  reasonContains?: string;
  id?: string[];
}

function dlqTopics(topic: string | undefined): string[] {
  if (!topic || topic === 'all') return [...DLQ_TOPICS];
  if (!isSourceTopic(topic)) throw new Error(`unknown topic ${topic}: one of ${SOURCE_TOPICS.join(', ')} or all`);
  return [dlqTopicOf(topic)];
}

async function select(filter: DlqFilter): Promise<DeadLetter[]> {
  const letters = await listDeadLetters(operatorKafka(), dlqTopics(filter.topic));
  return letters.filter(
    (l) =>
      (!filter.reasonContains || l.reason.toLowerCase().includes(filter.reasonContains.toLowerCase())) &&
      (!filter.id?.length || filter.id.includes(l.id)),
  );
}

const hasFilter = (f: DlqFilter) => Boolean((f.topic && f.topic !== 'all') || f.reasonContains || f.id?.length);

const summary = (l: DeadLetter) => ({
  id: l.id,
  source: `${l.sourceTopic}[${l.sourcePartition ?? '?'}]@${l.sourceOffset ?? '?'}`,
  failedAt: l.failedAt,
  reason: l.reason,
  redriveCount: l.redriveCount,
  redriven: l.redriven,
  // The payload was cut to fit the DLQ: `source` points at the whole original.
  truncatedFromBytes: l.truncatedFromBytes,
});

export async function dlqListCommand(opts: DlqFilter & { json?: boolean; limit?: number }): Promise<void> {
  const letters = await select(opts);
  const shown = letters.slice(0, opts.limit ?? Infinity);
  if (opts.json) return printJson(shown.map(summary));
  if (letters.length === 0) return print('No dead letters.');
  for (const l of shown) {
    const s = summary(l);
    print(`${s.id}  from ${s.source}  ${s.failedAt ?? ''}${s.redriven ? '  (redriven)' : ''}\n    ${s.reason.slice(0, 200)}`);
  }
  print(`${letters.length} dead letter(s)${shown.length < letters.length ? `, ${shown.length} shown` : ''}.`);
}

export async function dlqShowCommand(id: string, opts: { json?: boolean }): Promise<void> {
  const [letter] = await select({ topic: id.split(':')[0]?.replace(/\.dlq$/, ''), id: [id] });
  if (!letter) throw new Error(`no dead letter ${id} (ids look like notify.notification-status.v1.dlq:0:42; see dlq list)`);
  const full = { ...summary(letter), key: letter.key?.toString() ?? null, value: letter.value?.toString() ?? null, headers: letter.headers };
  if (opts.json) return printJson(full);
  for (const [k, v] of Object.entries(full)) print(`${k}: ${typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v)}`);
}

export interface RedriveOptions extends DlqFilter {
  dryRun?: boolean;
  execute?: boolean;
  yes?: boolean;
  force?: boolean;
  json?: boolean;
}

/**
 * Redrives the dead letters a filter selects. Without a filter it would redrive every dead letter
 * of every topic, so then, like `kafka-consumer-groups --reset-offsets`, it only shows the plan
 * unless --execute (or --yes) says to go ahead.
 */
export async function dlqRedriveCommand(opts: RedriveOptions): Promise<void> {
  const letters = await select(opts);
  const go = !opts.dryRun && (hasFilter(opts) || opts.execute || opts.yes);
  if (!go) {
    const why = opts.dryRun ? 'dry run' : 'no filter: pass --execute to redrive every dead letter, or narrow with --topic, --reason-contains or --id';
    if (opts.json) return printJson({ executed: false, why, wouldRedrive: letters.map(summary) });
    for (const l of letters) print(`would redrive ${l.id} -> ${l.sourceTopic}${l.redriven ? ' (already redriven: skipped without --force)' : ''}`);
    print(`${letters.length} dead letter(s) match. Nothing redriven (${why}).`);
    return;
  }
  const result = await redrive(operatorKafka(), letters, { force: Boolean(opts.force) });
  if (opts.json) {
    return printJson({ executed: true, redriven: result.redriven.map(summary), skipped: result.skipped.map((s) => ({ ...summary(s.letter), why: s.why })) });
  }
  print(`Redriven ${result.redriven.length} message(s) to their source topics.`);
  for (const s of result.skipped) print(`  skipped ${s.letter.id}: ${s.why}`);
}
