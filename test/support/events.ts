import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { TOPICS, type NotificationStatusEventInput } from '@notify-stats/events';

type StatusInput = {
  [K in keyof NotificationStatusEventInput]?: unknown;
};

/** A valid status snapshot; override any field. Timestamps default to a fixed London day. */
export function statusEvent(overrides: StatusInput = {}): Record<string, unknown> {
  return {
    event_id: randomUUID(),
    notification_id: randomUUID(),
    service_id: '00000000-0000-4000-8000-000000000001',
    template_id: null,
    job_id: null,
    notification_type: 'sms',
    key_type: 'normal',
    status: 'delivered',
    created_at: '2024-04-15T10:00:00.000Z',
    updated_at: '2024-04-15T10:00:05.000Z',
    billable_units: 1,
    rate_multiplier: 1,
    international: false,
    sent_by: 'mmg',
    postage: null,
    ...overrides,
  };
}

export interface RawMessage {
  key: string | null;
  value: string | null;
}

export const statusMessage = (e: Record<string, unknown>): RawMessage => ({
  key: String(e.notification_id),
  value: JSON.stringify(e),
});

export const referenceMessage = (key: string, value: Record<string, unknown> | null): RawMessage => ({
  key,
  value: value === null ? null : JSON.stringify(value),
});

// The broker takes at most 1 MB per request.
const MAX_REQUEST_BYTES = 768 * 1024;

/**
 * Produces in requests of at most `chunk` messages (and under the broker's request size), acks
 * from all replicas; returns the time at which every message was acknowledged.
 */
export async function produce(producer: Producer, topic: string, messages: readonly RawMessage[], chunk = 2000): Promise<number> {
  let batch: RawMessage[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length) await producer.send({ topic, acks: -1, messages: batch });
    batch = [];
    bytes = 0;
  };
  for (const m of messages) {
    const size = (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;
    if (batch.length >= chunk || (batch.length && bytes + size > MAX_REQUEST_BYTES)) await flush();
    batch.push(m);
    bytes += size;
  }
  await flush();
  return Date.now();
}

export { TOPICS };
