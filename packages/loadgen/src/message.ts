import type { SourceTopic } from '@notify-stats/events';
import type { Lifecycle } from './lifecycles.ts';
import { murmur2 } from './partition.ts';

export type MessageKind = 'reference' | 'status' | 'despatch' | 'invalid';

export const INVALID_KINDS = ['bad-json', 'unknown-status', 'bad-uuid', 'missing-field', 'date-out-of-range'] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

/**
 * One Kafka message, pre-serialised, with what the tally needs to know about it. `key` and
 * `value` are what goes on the wire; the object itself is handed to kafkajs as is (its extra
 * fields are ignored there), so producing allocates nothing per message on our side.
 */
export interface LoadMessage {
  topic: SourceTopic;
  key: Buffer;
  value: Buffer;
  kind: MessageKind;
  /** The notification a status or despatch message belongs to. */
  lifecycle: Lifecycle | null;
  /** Index into `lifecycle.statuses` for a status message; -1 otherwise. */
  step: number;
  /** The second copy of a duplicated message (same bytes as the first). */
  copy: boolean;
  /** Held back and produced at the end. */
  late: boolean;
  invalid: InvalidKind | null;
  /** Epoch ms used to order messages within a slice of time (never sent). */
  time: number;
  /** Kafka's murmur2 of the key, so the producer picks the default partition without hashing again. */
  keyHash: number;
}

export function message(topic: SourceTopic, key: Buffer, value: Buffer, kind: MessageKind, time: number, keyHash = murmur2(key)): LoadMessage {
  return { topic, key, value, kind, lifecycle: null, step: -1, copy: false, late: false, invalid: null, time, keyHash };
}
