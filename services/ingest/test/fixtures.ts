// Status events as producers send them, shared by the ingest tests (values written by hand).
import type { IncomingMessage } from '../src/process-batch.ts';

export const U1 = '11111111-1111-1111-1111-111111111111';
export const U2 = '22222222-2222-2222-2222-222222222222';
export const U3 = '33333333-3333-3333-3333-333333333333';

/** A delivered SMS created 15 April 2024, with `over` on top. */
export const statusFields = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: U1,
  notification_id: U2,
  service_id: U3,
  notification_type: 'sms',
  key_type: 'normal',
  status: 'delivered',
  created_at: '2024-04-15T10:00:00Z',
  updated_at: '2024-04-15T10:05:00Z',
  billable_units: 1,
  sent_by: 'mmg',
  ...over,
});

/** Ids of the i-th of many distinct notifications. */
export const numberedIds = (i: number) => ({
  event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  notification_id: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
});

/** A message at `offset` whose value is `value` (JSON-encoded unless already text). */
export const rawMessage = (offset: number | string, key: string | null, value: Record<string, unknown> | string | null): IncomingMessage => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  offset: String(offset),
});
