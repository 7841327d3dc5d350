import { z } from 'zod';
import { uuid, timestamp } from './fields.ts';
import { KEY_TYPES, NOTIFICATION_TYPES, POSTAGES, STATUSES } from './vocabulary.ts';

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
  billable_units: z.number().int().min(0).max(2_147_483_647),
  rate_multiplier: z.number().int().min(0).max(1_000_000).nullish().transform((v) => v ?? null),
  international: z.boolean().nullish().transform((v) => v ?? null),
  sent_by: z.string().max(255).nullish().transform((v) => v ?? null),
  postage: z.enum(POSTAGES).nullish().transform((v) => v ?? null),
});
export type NotificationStatusEvent = z.output<typeof notificationStatusEvent>;
export type NotificationStatusEventInput = z.input<typeof notificationStatusEvent>;
