import { z } from 'zod';
import { uuid, timestamp } from './fields.ts';
import { KEY_TYPES, NOTIFICATION_TYPES, POSTAGES, STATUSES } from './vocabulary.ts';

/** Far beyond any real notification (an SMS of a million fragments, a letter of a million sheets). */
export const MAX_BILLABLE_UNITS = 1_000_000;
/** Far beyond any real international SMS multiplier. */
export const MAX_RATE_MULTIPLIER = 1_000;

/** `notify.notification-status.v1`: a full snapshot of a notification after a status change. */
export const notificationStatusEvent = z.object({
  event_id: uuid,
  notification_id: uuid,
  service_id: uuid,
  template_id: uuid.nullish().transform((v) => v ?? null),
  job_id: uuid.nullish().transform((v) => v ?? null),
  notification_type: z.enum(NOTIFICATION_TYPES),
  key_type: z.enum(KEY_TYPES),
  status: z.enum(STATUSES),
  created_at: timestamp,
  updated_at: timestamp,
  // Bounded so that no sum of units x multiplier the facts keep can wrap a 64-bit integer, or
  // pass 2^53 (what a report can give exactly) short of about 9 x 10^6 notifications at the bounds.
  billable_units: z.number().int().min(0).max(MAX_BILLABLE_UNITS),
  rate_multiplier: z.number().int().min(0).max(MAX_RATE_MULTIPLIER).nullish().transform((v) => v ?? null),
  international: z.boolean().nullish().transform((v) => v ?? null),
  sent_by: z.string().max(255).nullish().transform((v) => v ?? null),
  postage: z.enum(POSTAGES).nullish().transform((v) => v ?? null),
});
export type NotificationStatusEvent = z.output<typeof notificationStatusEvent>;
export type NotificationStatusEventInput = z.input<typeof notificationStatusEvent>;
