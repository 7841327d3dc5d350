/** Topic names of the event contract (events.md), in one place. */
export const TOPICS = {
  notificationStatus: 'notify.notification-status.v1',
  letterDespatch: 'notify.letter-despatch.v1',
  referenceData: 'notify.reference-data.v1',
  inboundSms: 'notify.inbound-sms.v1',
} as const;

export type SourceTopic = (typeof TOPICS)[keyof typeof TOPICS];
export const SOURCE_TOPICS: readonly SourceTopic[] = Object.values(TOPICS);

/**
 * Topics this pipeline writes for the platform to consume (issue 22), never read back by it:
 * restatements of final days (restatement-event.ts), allowance and spend alerts (alert-event.ts).
 */
export const OUTPUT_TOPICS = {
  restatements: 'notify.stats-restatements.v1',
  alerts: 'notify.stats-alerts.v1',
} as const;

export const dlqTopicOf = (topic: string) => `${topic}.dlq`;
export const DLQ_TOPICS: readonly string[] = SOURCE_TOPICS.map(dlqTopicOf);

export function isSourceTopic(topic: string): topic is SourceTopic {
  return (SOURCE_TOPICS as readonly string[]).includes(topic);
}

/** Headers written on every dead letter so an operator can find its origin and redrive it. */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  sourceTopic: 'x-dlq-source-topic',
  sourcePartition: 'x-dlq-source-partition',
  sourceOffset: 'x-dlq-source-offset',
  failedAt: 'x-dlq-failed-at',
  redriveCount: 'x-dlq-redrive-count',
  /** Set when the payload was cut to fit the broker's message size: the original's size in bytes. */
  truncatedFrom: 'x-dlq-truncated-from-bytes',
} as const;
