import { z } from 'zod';
import { timestamp, uuid } from './fields.ts';

/** `notify.inbound-sms.v1`: a text message received by a service. */
export const inboundSmsEvent = z.object({
  event_id: uuid,
  inbound_sms_id: uuid,
  service_id: uuid,
  created_at: timestamp,
  provider: z.string().min(1).max(255),
});
export type InboundSmsEvent = z.output<typeof inboundSmsEvent>;
