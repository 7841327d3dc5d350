import type { NotificationEventRow } from '../src/tables/raw-events.ts';

/** One letter's status snapshot: the row the migration tests push through the change log's view. */
export const LETTER_EVENT_ROW: NotificationEventRow = {
  event_id: '11111111-1111-1111-1111-111111111111',
  notification_id: '22222222-2222-2222-2222-222222222222',
  service_id: '33333333-3333-3333-3333-333333333333',
  template_id: null,
  job_id: null,
  notification_type: 'letter',
  key_type: 'normal',
  status: 'sending',
  status_rank: 2,
  created_at: '2024-04-15T10:11:12.123Z',
  created_day: '2024-04-15',
  updated_at: '2024-04-15T10:11:12.123Z',
  billable_units: 2,
  rate_multiplier: null,
  international: false,
  sent_by: 'dvla',
  postage: 'second',
  source_partition: 0,
  source_offset: '5',
};
