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

export async function dlqListCommand(opts: DlqFilter & { json?: boolean; limit?: string }): Promise<void> {
  const letters = await select(opts);
  const limit = opts.limit ? Number(opts.limit) : Infinity;
  if (opts.json) return printJson(letters.slice(0, limit).map(summary));
  if (letters.length === 0) return print('No dead letters.');
  for (const l of letters.slice(0, limit)) {
    const s = summary(l);
    print(`${s.id}  from ${s.source}  ${s.failedAt ?? ''}${s.redriven ? '  (redriven)' : ''}\n    ${s.reason.slice(0, 200)}`);
  }
  print(`${letters.length} dead letter(s)${letters.length > limit ? `, ${limit} shown` : ''}.`);
}

export async function dlqShowCommand(id: string, opts: { json?: boolean }): Promise<void> {
  const [letter] = await select({ topic: id.split(':')[0]?.replace(/\.dlq$/, ''), id: [id] });
  if (!letter) throw new Error(`no dead letter ${id} (ids look like notify.notification-status.v1.dlq:0:42; see dlq list)`);
  const full = { ...summary(letter), key: letter.key?.toString() ?? null, value: letter.value?.toString() ?? null, headers: letter.headers };
  if (opts.json) return printJson(full);
  for (const [k, v] of Object.entries(full)) print(`${k}: ${typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v)}`);
}

export async function dlqRedriveCommand(opts: DlqFilter & { dryRun?: boolean; force?: boolean; json?: boolean }): Promise<void> {
  const letters = await select(opts);
  if (opts.dryRun) {
    if (opts.json) return printJson({ wouldRedrive: letters.map(summary) });
    for (const l of letters) print(`would redrive ${l.id} -> ${l.sourceTopic}${l.redriven ? ' (already redriven: skipped without --force)' : ''}`);
    return print(`${letters.length} dead letter(s) match.`);
  }
  const result = await redrive(operatorKafka(), letters, { force: Boolean(opts.force) });
  if (opts.json) return printJson({ redriven: result.redriven.map(summary), skipped: result.skipped.map((s) => ({ ...summary(s.letter), why: s.why })) });
  print(`Redriven ${result.redriven.length} message(s) to their source topics.`);
  for (const s of result.skipped) print(`  skipped ${s.letter.id}: ${s.why}`);
}
