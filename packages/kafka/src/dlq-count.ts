import type { Kafka } from 'kafkajs';
import { DLQ_TOPICS } from '@notify-stats/events';
import { listDeadLetters, REDRIVEN_TOPIC } from './dlq.ts';

export interface DeadLetterCount {
  /** Dead letters as `dlq list` shows them (one per origin). */
  total: number;
  /** Not redriven yet: what still needs someone's attention. */
  waiting: number;
  redriven: number;
}

/**
 * The dead letters per DLQ topic, counted the way `dlq list` lists them, so that every count an
 * operator sees (metrics, the dashboard, `status`) agrees with it and drops after a redrive.
 * Listing reads the topics, so the count is read again only when an end offset of a DLQ topic or
 * of the redrive record has moved since: between changes it costs one offsets request.
 */
export class DeadLetterCounter {
  private seen = '';
  private counts: Record<string, DeadLetterCount> = {};

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: ReturnType<Kafka['admin']>,
  ) {}

  async count(): Promise<Record<string, DeadLetterCount>> {
    const existing = new Set(await this.admin.listTopics());
    const topics = [...DLQ_TOPICS, REDRIVEN_TOPIC].filter((t) => existing.has(t));
    const marks: string[] = [];
    for (const topic of topics) for (const o of await this.admin.fetchTopicOffsets(topic)) marks.push(`${topic}:${o.partition}:${o.low}-${o.high}`);
    const fingerprint = marks.join(',');
    if (fingerprint === this.seen) return this.counts;
    const counts: Record<string, DeadLetterCount> = {};
    for (const topic of DLQ_TOPICS) if (existing.has(topic)) counts[topic] = { total: 0, waiting: 0, redriven: 0 };
    for (const letter of await listDeadLetters(this.kafka)) {
      const c = (counts[letter.dlqTopic] ??= { total: 0, waiting: 0, redriven: 0 });
      c.total++;
      if (letter.redriven) c.redriven++;
      else c.waiting++;
    }
    this.counts = counts;
    this.seen = fingerprint;
    return counts;
  }
}
